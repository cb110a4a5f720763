# SPDX-License-Identifier: GPL-2.0
# The pinned base of the series: the one place that names it.
BASE_SERIES=6.12
BASE_VERSION=6.12.118
