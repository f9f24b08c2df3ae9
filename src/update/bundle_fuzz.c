/*
 * bundle_fuzz.c: libFuzzer target for the update bundle's parser (a file
 * from outside: an upload, a USB stick). The signature is checked before
 * the parse in use; here the parse runs on anything, since a key may one
 * day sign a bundle made by a broken tool. Files taken must lie inside
 * the input.
 */
#include <stdint.h>
#include <stdlib.h>

#include "update/bundle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct update_info ui;
	struct err e;

	if (update_parse(data, size, &ui, &e) < 0)
		return 0;
	for (int i = 0; i < ui.ui_nfiles; i++)
		if (ui.ui_files[i].uf_data < data ||
		    ui.ui_files[i].uf_data + ui.ui_files[i].uf_size >
			    data + size)
			abort();
	return 0;
}
