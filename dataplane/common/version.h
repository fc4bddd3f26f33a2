/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The single project version; the build may override it with -D. */
#ifndef DPLB_VERSION_H
#define DPLB_VERSION_H
#ifndef DPLB_VERSION
#define DPLB_VERSION "0.1.0"
#endif
#define DPLB_PROTOCOL_VERSION 1
#endif
