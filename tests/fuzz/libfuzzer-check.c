/* libfuzzer-check.c — compiled by tests/fuzz/meson.build at configure time:
 * whether clang can build a libFuzzer target with the sanitizers here. */
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  return 0;
}
