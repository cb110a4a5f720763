// SPDX-License-Identifier: GPL-2.0
/*
 * A QEMU TCG plugin that counts, for every guest virtual address, how many
 * times the instruction there was executed. At exit it writes one line per
 * address executed at least once: "<vaddr in hex> <count>", to the file
 * named by its "out" argument. The counts are exact: every translated
 * block counts its executions, and each of its instructions is charged
 * that many, so an exception in the middle of a block (rare: hvc and svc
 * end blocks) is the only over-count.
 *
 * profile.sh loads it with -icount, where all vCPUs run on one host
 * thread: that is what makes the plain increments below safe. Under
 * multi-threaded TCG the counts would lose increments.
 */
#include <glib.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <qemu-plugin.h>

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

/* One translation of a block: its instructions' addresses and executions. */
struct block {
	uint64_t execs;
	size_t n;
	uint64_t vaddr[];
};

static GPtrArray *blocks;
static char *out_path;

static void block_exec(unsigned int vcpu, void *udata)
{
	((struct block *)udata)->execs++;
}

static void block_translated(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	size_t i, n = qemu_plugin_tb_n_insns(tb);
	struct block *b = g_malloc0(sizeof(*b) + n * sizeof(b->vaddr[0]));

	b->n = n;
	for (i = 0; i < n; i++)
		b->vaddr[i] = qemu_plugin_insn_vaddr(qemu_plugin_tb_get_insn(tb, i));
	g_ptr_array_add(blocks, b);
	qemu_plugin_register_vcpu_tb_exec_cb(tb, block_exec, QEMU_PLUGIN_CB_NO_REGS, b);
}

static void write_counts(qemu_plugin_id_t id, void *udata)
{
	GHashTable *per_addr = g_hash_table_new_full(g_int64_hash, g_int64_equal,
						     g_free, g_free);
	GHashTableIter it;
	gpointer k, v;
	FILE *f;
	guint i;
	size_t j;

	for (i = 0; i < blocks->len; i++) {
		struct block *b = g_ptr_array_index(blocks, i);

		if (!b->execs)
			continue;
		for (j = 0; j < b->n; j++) {
			uint64_t *count = g_hash_table_lookup(per_addr, &b->vaddr[j]);

			if (!count) {
				uint64_t *key = g_new(uint64_t, 1);

				*key = b->vaddr[j];
				count = g_new0(uint64_t, 1);
				g_hash_table_insert(per_addr, key, count);
			}
			*count += b->execs;
		}
	}
	f = fopen(out_path, "w");
	if (!f) {
		perror(out_path);
		return;
	}
	g_hash_table_iter_init(&it, per_addr);
	while (g_hash_table_iter_next(&it, &k, &v))
		fprintf(f, "%" PRIx64 " %" PRIu64 "\n", *(uint64_t *)k, *(uint64_t *)v);
	fclose(f);
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
					   int argc, char **argv)
{
	int i;

	for (i = 0; i < argc; i++)
		if (!strncmp(argv[i], "out=", 4))
			out_path = g_strdup(argv[i] + 4);
	if (!out_path) {
		fprintf(stderr, "insn-count: give the output file as out=PATH\n");
		return -1;
	}
	blocks = g_ptr_array_new();
	qemu_plugin_register_vcpu_tb_trans_cb(id, block_translated);
	qemu_plugin_register_atexit_cb(id, write_counts, NULL);
	return 0;
}
