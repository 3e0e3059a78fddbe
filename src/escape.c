#include "src/escape.h"

size_t escape_filter(struct escape *e, const uint8_t *in, size_t len, uint8_t *out, bool *quit)
{
	size_t n = 0;

	*quit = false;
	for (size_t i = 0; i < len; i++) {
		uint8_t b = in[i];
		if (!e->pending) {
			if (b == ESCAPE_KEY)
				e->pending = true;
			else
				out[n++] = b;
			continue;
		}
		e->pending = false;
		if (b == ESCAPE_QUIT) {
			*quit = true;
			return n;
		}
		out[n++] = ESCAPE_KEY;
		if (b != ESCAPE_KEY)
			out[n++] = b;
	}
	return n;
}
