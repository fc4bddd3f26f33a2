/* SPDX-License-Identifier: GPL-2.0-or-later */
/* conn_index: the connection tables' hash index, its allocation and its
 * consistency check (conn_index.h). */
#include <assert.h>

#include <rte_malloc.h>

#include "conn/conn_index.h"

static_assert(sizeof(struct conn_bucket) == 64, "one cache line per bucket");
static_assert(CONN_BUCKET_SLOTS == 8, "conn_index_sig_match() handles 8");

size_t
conn_index_alloc(struct conn_index *ix, uint64_t keys, int socket)
{
	uint64_t nb = (keys * 100 + CONN_BUCKET_SLOTS * CONN_LOAD_PCT - 1) /
		      (CONN_BUCKET_SLOTS * CONN_LOAD_PCT);

	ix->n_buckets = (uint32_t)nb;
	ix->buckets = rte_zmalloc_socket("conn_buckets",
					 nb * sizeof(struct conn_bucket),
					 RTE_CACHE_LINE_SIZE, socket);
	return ix->buckets == NULL ? 0 : nb * sizeof(struct conn_bucket);
}

void
conn_index_free(struct conn_index *ix)
{
	rte_free(ix->buckets);
	ix->buckets = NULL;
}

int64_t
conn_index_check(const struct conn_index *ix, conn_index_home_fn *home,
		 bool (*live)(const void *ctx, uint32_t ref), const void *ctx)
{
	uint32_t *ovf = rte_zmalloc(NULL, (size_t)ix->n_buckets * sizeof(*ovf),
				    0);
	int64_t filed = 0;
	uint32_t i, j, b;

	if (ovf == NULL)
		return -1;
	/* each filed key adds one to the overflow count of every bucket
	 * between its home and where it sits */
	for (i = 0; i < ix->n_buckets; i++) {
		const struct conn_bucket *bk = &ix->buckets[i];

		for (j = 0; j < CONN_BUCKET_SLOTS; j++) {
			if (bk->sig[j] == 0)
				continue;
			if (bk->ref[j] == 0 || !live(ctx, bk->ref[j]))
				goto bad;
			filed++;
			for (b = home(ctx, bk->ref[j]); b != i;
			     b = conn_index_next(ix, b))
				ovf[b]++;
		}
	}
	for (i = 0; i < ix->n_buckets; i++)
		if (ix->buckets[i].ovf != UINT16_MAX &&
		    ix->buckets[i].ovf != ovf[i])
			goto bad;
	rte_free(ovf);
	return filed;
bad:
	rte_free(ovf);
	return -1;
}
