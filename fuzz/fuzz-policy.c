/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The step-up policy parser: the input written to a file (the parser's only
 * entry points take paths: it checks owner and mode of what it opens),
 * loaded, and a loaded policy matched against a fixed transaction. */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "biogate-policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *dir;
static char *path;

static void remove_dir(void) {
        g_unlink(path);
        g_rmdir(dir);
        g_free(path);
        g_free(dir);
}

static BiogateTx *fixed_tx(void) {
        static const char json[] =
                "{\"kind\":\"withdrawal\",\"amount\":\"250000.00\",\"currency\":\"USD\","
                "\"payee\":\"ACME Ltd\",\"account\":\"ACC-1\",\"instrument\":\"EURUSD\"}";
        g_autoptr(JsonNode) node = json_from_string(json, NULL);

        return node ? biogate_tx_from_json(node, NULL) : NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        g_autoptr(BiogatePolicy) policy = NULL;
        g_autoptr(GError) error = NULL;
        int fd;

        if (!dir) {
                dir = g_dir_make_tmp("biogate-fuzz-policy-XXXXXX", NULL);
                if (!dir)
                        abort();
                path = g_build_filename(dir, "policy.conf", NULL);
                atexit(remove_dir);
        }

        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                abort();
        for (size_t done = 0; done < size;) {
                ssize_t n = write(fd, data + done, size - done);
                if (n <= 0)
                        abort();
                done += (size_t) n;
        }
        close(fd);

        policy = biogate_policy_load_file(path, &error);
        if (!policy) {
                /* Every failure is reported as an error with a message. */
                if (!error || !error->message)
                        abort();
                return 0;
        }

        {
                g_autoptr(BiogateTx) tx = fixed_tx();
                g_autoptr(GDateTime) now = g_date_time_new_utc(2026, 1, 5, 14, 30, 0);
                const BiogatePolicyRule *rule;

                if (!tx || !now)
                        abort();
                rule = biogate_policy_match(policy, tx, now);
                /* A loaded policy ends with [default], which matches everything. */
                if (!rule || !rule->name)
                        abort();
                (void) biogate_requirement_to_string(rule->requirement);
                (void) biogate_policy_knows_kind(policy, "order");
                (void) biogate_policy_describe_sources(policy);
                if (biogate_policy_get_n_rules(policy) == 0)
                        abort();
        }
        return 0;
}
