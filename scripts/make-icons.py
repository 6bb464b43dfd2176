#!/usr/bin/env python3
"""Draws the app icons (PNG) from the same shape as assets/favicon.svg: the
brand square with the white outline of Lion Rock. Phones want PNG icons of
192 and 512 pixels to install a web app. The full-bleed square doubles as a
"maskable" icon: the mountain stays inside the central safe zone.

Run from the repository root after changing the favicon:
    python3 scripts/make-icons.py
Standard library only (zlib for PNG compression); the output is committed.
"""

import struct
import zlib

BRAND = (0x0B, 0x4F, 0x6C)
WHITE = (0xFF, 0xFF, 0xFF)
# The favicon's mountain, in its 32-unit square.
MOUNTAIN = [(4, 26), (13, 9), (18, 17), (21, 13), (28, 26)]


def inside(px, py, polygon):
    """Even-odd rule: is the point inside the polygon?"""
    hit = False
    for i, (x1, y1) in enumerate(polygon):
        x2, y2 = polygon[i - 1]
        if (y1 > py) != (y2 > py) and px < (x2 - x1) * (py - y1) / (y2 - y1) + x1:
            hit = not hit
    return hit


def draw(size):
    # Shrink the mountain into the middle 70 % (the maskable safe zone).
    scale, offset = size * 0.7 / 32, size * 0.15
    polygon = [(offset + x * scale, offset + y * scale) for x, y in MOUNTAIN]
    rows = []
    for y in range(size):
        row = bytearray([0])  # filter: none
        for x in range(size):
            # 4 samples per pixel for smooth edges.
            cover = sum(inside(x + dx, y + dy, polygon) for dx in (0.25, 0.75) for dy in (0.25, 0.75)) / 4
            row += bytes(round(b + (w - b) * cover) for b, w in zip(BRAND, WHITE))
        rows.append(bytes(row))
    return b"".join(rows)


def png(size, pixels):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)  # 8-bit RGB
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(pixels, 9)) + chunk(b"IEND", b"")


for size in (192, 512):
    with open(f"crates/platform/assets/icon-{size}.png", "wb") as f:
        f.write(png(size, draw(size)))
    print(f"crates/platform/assets/icon-{size}.png")
