#!/usr/bin/env python3
"""Writes the format fixtures in assets/formats/: small files of each variant Kindred must read.

Every picture is made here (a test card whose quadrants tell every orientation apart) or cut
from the public-domain photos in assets/photos, so all of them may be redistributed.

Needs: pillow==11.3.0 pillow-heif==1.9.0 tifffile==2025.6.11 numpy, and the Debian packages
libtiff-tools (tiffcp) and imagemagick (convert).
    python3 -m venv /tmp/fx && /tmp/fx/bin/pip install pillow==11.3.0 pillow-heif==1.9.0 tifffile==2025.6.11 numpy
    /tmp/fx/bin/python media/scripts/make_fixtures.py
"""
import io
import pathlib
import struct
import subprocess
import tempfile

import numpy as np
import pillow_heif
import tifffile
from PIL import Image, ImageDraw

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "assets" / "formats"


def test_card(width=96, height=64):
    """Four coloured quadrants with a white mark at the top-left corner."""
    card = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(card)
    w2, h2 = width // 2, height // 2
    draw.rectangle([0, 0, w2 - 1, h2 - 1], fill=(220, 30, 30))
    draw.rectangle([w2, 0, width - 1, h2 - 1], fill=(30, 200, 30))
    draw.rectangle([0, h2, w2 - 1, height - 1], fill=(30, 30, 220))
    draw.rectangle([w2, h2, width - 1, height - 1], fill=(230, 230, 40))
    draw.rectangle([2, 2, 9, 9], fill=(255, 255, 255))
    return card


# The transpose that stores an upright picture so that EXIF orientation N shows it upright again.
STORED_FOR = {
    1: None,
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,
}


def stored_for(upright, orientation):
    transpose = STORED_FOR[orientation]
    return upright if transpose is None else upright.transpose(transpose)


def tiffs(card):
    # Palette TIFF, 8 bits (Pillow) and 4 bits (ImageMagick).
    card.quantize(colors=16).save(OUT / "palette8.tif", compression="tiff_lzw")
    with tempfile.TemporaryDirectory() as tmp:
        png = pathlib.Path(tmp) / "card.png"
        card.save(png)
        subprocess.run(["convert", str(png), "-type", "Palette", "-depth", "4", "-compress", "zip",
                        str(OUT / "palette4.tif")], check=True)
        # JPEG-compressed YCbCr in strips: what libtiff writes (tiffcp -c jpeg).
        plain = pathlib.Path(tmp) / "plain.tif"
        card.save(plain)
        subprocess.run(["tiffcp", "-c", "jpeg:90", "-r", "16", str(plain), str(OUT / "jpeg-ycbcr.tif")], check=True)
    # BigTIFF.
    tifffile.imwrite(OUT / "bigtiff.tif", np.asarray(card), bigtiff=True, compression="zlib")
    old_style_jpeg(card)


def old_style_jpeg(card):
    """A TIFF with compression 6 whose JPEGInterchangeFormat points at a complete JPEG stream."""
    buffer = io.BytesIO()
    card.save(buffer, "JPEG", quality=90)
    jpeg = buffer.getvalue()
    width, height = card.size
    entries = [
        (256, 3, 1, width), (257, 3, 1, height), (258, 3, 1, 8), (259, 3, 1, 6), (262, 3, 1, 6),
        (273, 4, 1, None), (277, 3, 1, 3), (278, 3, 1, height), (279, 4, 1, len(jpeg)),
        (513, 4, 1, None), (514, 4, 1, len(jpeg)),
    ]
    ifd_offset = 8
    data_offset = ifd_offset + 2 + 12 * len(entries) + 4
    out = bytearray(b"II*\x00" + struct.pack("<I", ifd_offset))
    out += struct.pack("<H", len(entries))
    for tag, kind, count, value in entries:
        value = data_offset if value is None else value
        packed = struct.pack("<H", value) + b"\0\0" if kind == 3 else struct.pack("<I", value)
        out += struct.pack("<HHI", tag, kind, count) + packed
    out += struct.pack("<I", 0)
    out += jpeg
    (OUT / "old-style-jpeg.tif").write_bytes(out)


def os2_bitmap(card):
    """An OS/2 2.x bitmap: a 64-byte BITMAPINFOHEADER2, 24 bits, bottom-up."""
    width, height = card.size
    row = (width * 3 + 3) & ~3
    pixels = bytearray()
    for y in reversed(range(height)):
        line = bytearray()
        for x in range(width):
            r, g, b = card.getpixel((x, y))
            line += bytes([b, g, r])
        pixels += line + b"\0" * (row - len(line))
    header = struct.pack("<IiiHHIIiiII", 64, width, height, 1, 24, 0, len(pixels), 2835, 2835, 0, 0)
    header += b"\0" * (64 - len(header))
    offset = 14 + 64
    file_header = b"BM" + struct.pack("<IHHI", offset + len(pixels), 0, 0, offset)
    (OUT / "os2-v2.bmp").write_bytes(file_header + header + pixels)


def heics(card):
    """The test card, and a public-domain portrait, stored turned and mirrored for every EXIF
    orientation, with the container's irot/imir and an EXIF Orientation saying the same (as
    phones write them): decoded correctly, each is upright once."""
    pillow_heif.register_heif_opener()
    portrait = Image.open(ROOT / "assets" / "photos" / "biden-official-2013.jpg").convert("RGB")
    # Taller than wide, so that a turn shows in the size.
    portrait = portrait.crop((portrait.width // 8, 0, portrait.width * 7 // 8, portrait.height))
    portrait.thumbnail((480, 480))
    for name, upright, quality in [("card", card, 90), ("portrait", portrait, 60)]:
        for orientation in range(1, 9):
            exif = Image.Exif()
            exif[0x0112] = orientation
            exif[0x010F] = "Kindred"
            exif[0x0110] = "test fixture"
            exif[0x0132] = "2021:06:15 10:30:00"
            stored_for(upright, orientation).save(
                OUT / f"{name}-orientation-{orientation}.heic", exif=exif.tobytes(), quality=quality)
    card.save(OUT / "card.avif", quality=90)


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    card = test_card()
    card.save(OUT / "card.png")
    tiffs(card)
    os2_bitmap(card)
    heics(card)


if __name__ == "__main__":
    main()
