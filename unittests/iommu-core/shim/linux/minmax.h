/* SPDX-License-Identifier: GPL-2.0 */
/* The kernel's typed min/max helpers, unless tools/include's came first. */
#ifndef __SHIM_LINUX_MINMAX_H__
#define __SHIM_LINUX_MINMAX_H__

#ifndef min_t
#define min_t(type, x, y)	({ type __x = (x), __y = (y); __x < __y ? __x : __y; })
#endif
#ifndef max_t
#define max_t(type, x, y)	({ type __x = (x), __y = (y); __x > __y ? __x : __y; })
#endif

#endif
