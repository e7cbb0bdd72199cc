/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What a Russian- or Kazakh-speaking user reads: `biogatectl enroll` and the
 * PAM conversation (tests/pam-host, which takes its locale from the
 * environment as login and sudo do) under ru_KZ.UTF-8 and kk_KZ.UTF-8,
 * against the real daemon and the virtual sensor.
 *
 * Nothing on the host changes. The locales are compiled into this test's
 * directory (LOCPATH: neither program is setuid, so glibc honours it), and
 * the catalogues the build made appear at the compiled-in BIOGATE_LOCALEDIR
 * only inside this process's own mount namespace, through an overlay: the
 * programs find them exactly where an installed system has them, and
 * neither takes a catalogue directory from its environment. */
#include "config.h"

#include <errno.h>
#include <locale.h>
#include <sched.h>
#include <security/_pam_types.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pam-fixture.h"

typedef struct {
        const char *locale;     /* LANG for the programs */
        const char *source;     /* the glibc locale it is built from */
        /* What the user reads, exactly as the catalogue says it. */
        const char *enroll_prompt;      /* biogatectl enroll's "touch" prompt for stage @N@ of 5 */
        const char *enroll_stage;       /* after touch @N@ */
        const char *enrolled_prefix;    /* biogatectl's result line, up to the notice version */
        const char *help;               /* in biogatectl --help */
        const char *help_commands;      /* ...its list of commands, built before the options are parsed */
        const char *my_data_finger;     /* biogatectl my-data's line for the enrolled finger, up to the time */
        const char *unknown_command;    /* biogatectl's usage error for "biogatectl nope" */
        const char *invalid_finger;     /* the start of --json's message for --finger x */
        const char *pam_prompt;         /* pam_biogate.so's prompt naming the finger */
        const char *pam_no_match;       /* ...after a finger that does not match */
} Language;

static const Language russian = {
        .locale = "ru_KZ.UTF-8",
        .source = "ru_RU",
        .enroll_prompt = "Приложите к сканеру указательный палец правой руки (@N@ из 5)\n",
        .enroll_stage = "Скан @N@ из 5 выполнен\n",
        .enrolled_prefix = "Зарегистрирован указательный палец правой руки для root; согласие на уведомление версии ",
        .help = "Использование: biogatectl [--json] [--no-ask-password] [--help] [--version] COMMAND [OPTIONS]\n\n"
                "Регистрация, проверка, просмотр и удаление отпечатков пальцев через biogated.\n",
        .help_commands = "Команды:\n  status    Показать, доступен ли biogated, версию его API и ваши пальцы\n",
        .my_data_finger = "  указательный палец правой руки — зарегистрирован: ",
        .unknown_command = "biogatectl: Неизвестная команда «nope»\nПопробуйте «biogatectl --help».\n",
        .invalid_finger = "\"message\":\"Неверное название пальца «x»; используйте одно из: left-thumb, ",
        .pam_prompt = "info: Приложите указательный палец правой руки к сканеру отпечатков\n",
        .pam_no_match = "error: Отпечаток пальца не распознан, попробуйте ещё раз\n",
};

static const Language kazakh = {
        .locale = "kk_KZ.UTF-8",
        .source = "kk_KZ",
        .enroll_prompt = "Сканерге тигізіңіз: оң қолдың сұқ саусағы (@N@/5)\n",
        .enroll_stage = "@N@/5 сканерлеу орындалды\n",
        .enrolled_prefix = "Тіркелді: оң қолдың сұқ саусағы (root үшін); хабарламаның ",
        .help = "Қолданылуы: biogatectl [--json] [--no-ask-password] [--help] [--version] COMMAND [OPTIONS]\n\n"
                "biogated арқылы саусақ іздерін тіркеу, тексеру, тізімін көру және жою.\n",
        .help_commands = "Командалар:\n  status    biogated қолжетімді ме, оның API нұсқасын және саусақтарыңызды көрсету\n",
        .my_data_finger = "  оң қолдың сұқ саусағы — тіркелді: ",
        .unknown_command = "biogatectl: Белгісіз команда: «nope»\n«biogatectl --help» командасын орындап көріңіз.\n",
        .invalid_finger = "\"message\":\"Саусақ атауы жарамсыз: «x»; мыналардың бірін қолданыңыз: left-thumb, ",
        .pam_prompt = "info: Саусақ ізі сканеріне қойыңыз: оң қолдың сұқ саусағы\n",
        .pam_no_match = "error: Саусақ ізі танылмады, қайталап көріңіз\n",
};

/* The locales and the overlay, for the whole run; NULL when not root. */
static char *work_dir;
/* Where the overlay is mounted. */
static char *overlay_dir;

static void run_or_die(const char *const *argv) {
        g_autoptr(GError) error = NULL;
        g_autofree char *err = NULL;
        int status = 0;

        if (!g_spawn_sync(NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL,
                          NULL, &err, &status, &error) ||
            !g_spawn_check_wait_status(status, &error))
                g_error("%s: %s\n%s", argv[0], error->message, err ? err : "");
}

static void copy_catalogue(const char *lang, const char *to_dir) {
        g_autofree char *from = g_build_filename(BIOGATE_TEST_PO_BUILD_DIR, lang, "LC_MESSAGES", "biogate.mo", NULL);
        g_autofree char *dir = g_build_filename(to_dir, lang, "LC_MESSAGES", NULL);
        g_autofree char *to = g_build_filename(dir, "biogate.mo", NULL);
        g_autofree char *data = NULL;
        gsize size = 0;
        g_autoptr(GError) error = NULL;

        g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
        g_assert_true(g_file_get_contents(from, &data, &size, &error));
        g_assert_true(g_file_set_contents_full(to, data, (gssize) size, G_FILE_SET_CONTENTS_NONE, 0644, &error));
}

/* Makes the build's catalogues appear under BIOGATE_LOCALEDIR in a mount
 * namespace of our own (inherited by the daemon, biogatectl and the PAM
 * host): an overlay on the deepest directory of that path that exists, with
 * the missing part and the catalogues in its upper layer. */
static void setup_catalogues(void) {
        char *lower = g_strdup(BIOGATE_LOCALEDIR);
        g_autofree char *upper = g_build_filename(work_dir, "upper", NULL);
        g_autofree char *overlay_work = g_build_filename(work_dir, "overlay-work", NULL);
        g_autofree char *options = NULL, *upper_localedir = NULL, *check = NULL;
        const char *rest;

        while (!g_file_test(lower, G_FILE_TEST_IS_DIR)) {
                char *parent = g_path_get_dirname(lower);

                g_free(lower);
                lower = parent;
        }
        rest = BIOGATE_LOCALEDIR + strlen(lower);
        upper_localedir = g_build_filename(upper, rest, NULL);
        copy_catalogue("ru", upper_localedir);
        copy_catalogue("kk", upper_localedir);
        g_assert_cmpint(g_mkdir_with_parents(overlay_work, 0755), ==, 0);

        if (unshare(CLONE_NEWNS) < 0)
                g_error("unshare(CLONE_NEWNS): %s", g_strerror(errno));
        /* Nothing we mount may reach the host's namespace. */
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                g_error("making / private: %s", g_strerror(errno));
        options = g_strdup_printf("lowerdir=%s,upperdir=%s,workdir=%s", lower, upper, overlay_work);
        if (mount("overlay", lower, "overlay", 0, options) < 0)
                g_error("overlay on %s: %s", lower, g_strerror(errno));

        overlay_dir = lower;
        check = g_build_filename(BIOGATE_LOCALEDIR, "kk", "LC_MESSAGES", "biogate.mo", NULL);
        g_assert_true(g_file_test(check, G_FILE_TEST_IS_REGULAR));
}

static void setup_locales(void) {
        const Language *languages[] = { &russian, &kazakh };
        g_autofree char *locales = g_build_filename(work_dir, "locales", NULL);

        g_assert_cmpint(g_mkdir_with_parents(locales, 0755), ==, 0);
        for (size_t i = 0; i < G_N_ELEMENTS(languages); i++) {
                g_autofree char *out = g_build_filename(locales, languages[i]->locale, NULL);

                run_or_die((const char *const[]) { "localedef", "-i", languages[i]->source, "-f", "UTF-8", out, NULL });
        }
}

/* LANG alone decides, as on a fresh login. */
static GStrv env_for(const Language *l) {
        GStrv env = g_new0(char *, 5);

        env[0] = g_strdup_printf("LANG=%s", l->locale);
        env[1] = g_strdup("LC_ALL=");
        env[2] = g_strdup("LANGUAGE=");
        env[3] = g_strdup_printf("LOCPATH=%s/locales", work_dir);
        return env;
}

static char *with_stage(const char *text, int stage) {
        g_autoptr(GString) s = g_string_new(text);
        g_autofree char *n = g_strdup_printf("%d", stage);

        g_string_replace(s, "@N@", n, 0);
        return g_string_free(g_steal_pointer(&s), FALSE);
}

static void wait_for(BtfProc *proc, BtfStream stream, const char *needle) {
        g_autoptr(GError) error = NULL;

        if (!btf_proc_wait_output(proc, stream, needle, T, &error))
                g_error("waiting for '%s': %s\nstdout: %s\nstderr: %s", needle, error->message,
                        btf_proc_get_stdout(proc), btf_proc_get_stderr(proc));
}

static void assert_exit(BtfProc *proc, int code) {
        g_autoptr(GError) error = NULL;
        int status = 0;

        g_assert_true(btf_proc_wait(proc, T, &status, &error));
        g_assert_no_error(error);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != code)
                g_error("expected exit %d, got status %d\nstdout: %s\nstderr: %s", code, status,
                        btf_proc_get_stdout(proc), btf_proc_get_stderr(proc));
}

static void test_language(Fixture *f, const Language *l) {
        g_auto(GStrv) env = NULL;
        g_autoptr(GError) error = NULL;
        g_autoptr(BtfProc) proc = NULL;
        g_autofree char *enrolled = NULL, *pam_dir = NULL, *service = NULL, *no_match_then_prompt = NULL;

        if (!work_dir) {
                g_test_skip("needs root: a mount namespace for the catalogues");
                return;
        }
        env = env_for(l);

        /* --help: the summary and the option texts. */
        proc = btf_spawn_async((const char *[]) { BIOGATECTL_PATH, "--help", NULL }, (const char *const *) env, &error);
        g_assert_no_error(error);
        assert_exit(proc, 0);
        g_assert_nonnull(strstr(btf_proc_get_stdout(proc), l->help));
        g_assert_nonnull(strstr(btf_proc_get_stdout(proc), l->help_commands));
        btf_proc_free(g_steal_pointer(&proc));

        /* Errors in words, but what scripts read stays: the exit status,
         * the D-Bus error name and the JSON keys. */
        proc = btf_spawn_async((const char *[]) { BIOGATECTL_PATH, "nope", NULL }, (const char *const *) env, &error);
        g_assert_no_error(error);
        assert_exit(proc, 2);
        g_assert_cmpstr(btf_proc_get_stderr(proc), ==, l->unknown_command);
        btf_proc_free(g_steal_pointer(&proc));
        proc = btf_spawn_async((const char *[]) { BIOGATECTL_PATH, "--json", "enroll", "--finger", "x", NULL },
                               (const char *const *) env, &error);
        g_assert_no_error(error);
        assert_exit(proc, 5);
        g_assert_true(g_str_has_prefix(btf_proc_get_stdout(proc), "{\"error\":\"org.biogate1.Error.InvalidFinger\","));
        g_assert_nonnull(strstr(btf_proc_get_stdout(proc), l->invalid_finger));
        btf_proc_free(g_steal_pointer(&proc));

        /* Enrolment, touch by touch, in the user's words. */
        unlink(f->vdev);
        proc = btf_spawn_async((const char *[]) { BIOGATECTL_PATH, "enroll", "--yes-i-consent", "--finger",
                                                  "right-index-finger", NULL },
                               (const char *const *) env, &error);
        g_assert_no_error(error);
        g_assert_true(btf_vdev_wait_socket(f->vdev, T, &error));
        g_assert_no_error(error);
        for (int stage = 1; stage <= 5; stage++) {
                g_autofree char *prompt = with_stage(l->enroll_prompt, stage);
                g_autofree char *passed = with_stage(l->enroll_stage, stage);

                wait_for(proc, BTF_STDERR, prompt);
                touch(f, "alice");
                wait_for(proc, BTF_STDERR, passed);
        }
        assert_exit(proc, 0);
        enrolled = g_strconcat(l->enrolled_prefix, BIOGATE_TEST_NOTICE_VERSION, NULL);
        if (!strstr(btf_proc_get_stdout(proc), enrolled))
                g_error("no '%s' in: %s", enrolled, btf_proc_get_stdout(proc));
        /* Nothing was left in English. */
        g_assert_null(strstr(btf_proc_get_stderr(proc), "Touch the sensor"));
        g_assert_null(strstr(btf_proc_get_stdout(proc), "Enrolled"));
        btf_proc_free(g_steal_pointer(&proc));

        /* What is held about the user: the finger's dates in words too. */
        proc = btf_spawn_async((const char *[]) { BIOGATECTL_PATH, "my-data", NULL }, (const char *const *) env, &error);
        g_assert_no_error(error);
        assert_exit(proc, 0);
        if (!strstr(btf_proc_get_stdout(proc), l->my_data_finger) || strstr(btf_proc_get_stdout(proc), "last used"))
                g_error("no '%s' in: %s", l->my_data_finger, btf_proc_get_stdout(proc));
        btf_proc_free(g_steal_pointer(&proc));

        /* The PAM conversation: the prompt names the finger; a finger that
         * does not match, then the right one. */
        service = g_strdup_printf("auth required %s max-tries=2\n", PAM_MODULE_PATH);
        pam_dir = pam_fixture_write_service(f, "biogate-test", service);
        unlink(f->vdev);
        proc = pam_fixture_run_host(f, pam_dir, 0,
                                    (const char *const[]) { PAM_HOST_PATH, "biogate-test", "root", NULL },
                                    (const char *const *) env);
        wait_for(proc, BTF_STDOUT, l->pam_prompt);
        g_assert_true(btf_vdev_wait_socket(f->vdev, T, &error));
        g_assert_no_error(error);
        touch(f, "mallory");
        /* The next try's prompt: its sensor is open (the daemon may have
         * reopened it between the tries). */
        no_match_then_prompt = g_strconcat(l->pam_no_match, l->pam_prompt, NULL);
        wait_for(proc, BTF_STDOUT, no_match_then_prompt);
        touch(f, "alice");
        assert_exit(proc, PAM_SUCCESS);
        g_assert_null(strstr(btf_proc_get_stdout(proc), "fingerprint sensor"));
}

static void test_russian(Fixture *f, gconstpointer data) {
        test_language(f, &russian);
}

static void test_kazakh(Fixture *f, gconstpointer data) {
        test_language(f, &kazakh);
}

int main(int argc, char *argv[]) {
        int r;

        /* Our own messages quote Cyrillic: GLib writes them in our charset. */
        setlocale(LC_ALL, "C.UTF-8");
        g_test_init(&argc, &argv, NULL);
        if (geteuid() == 0) {
                work_dir = g_dir_make_tmp("biogate-i18n-XXXXXX", NULL);
                g_assert_nonnull(work_dir);
                setup_locales();
                setup_catalogues();
        }
        g_test_add("/i18n/ru-KZ", Fixture, NULL, fixture_setup, test_russian, fixture_teardown);
        g_test_add("/i18n/kk-KZ", Fixture, NULL, fixture_setup, test_kazakh, fixture_teardown);
        r = g_test_run();
        if (work_dir) {
                (void) umount2(overlay_dir, MNT_DETACH);
                run_or_die((const char *const[]) { "rm", "-rf", work_dir, NULL });
        }
        return r;
}
