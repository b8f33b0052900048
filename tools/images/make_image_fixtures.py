#!/usr/bin/python3
"""Makes test/fixtures/images/: PNG and JPEG files in every kind cnnc decodes, from real images (Debian's
Fashion-MNIST and the chromium package's RGBA icons), each with PIL's decoded result as the reference:
`ImageOps.exif_transpose(Image.open(f)).convert(mode).tobytes()` for mode L and RGB, as NAME.L.raw / NAME.RGB.raw,
and one manifest.json (size, PIL's mode after open, what the file is).

PIL (Pillow 9.4) writes most files. What PIL cannot write (2- and 4-bit grey, 16-bit RGB, RGBA and grey+alpha,
Adam7 interlacing) is packed here by hand with zlib, and PIL still decodes it for the reference.
libjpeg-turbo's own cjpeg (Debian's libjpeg-turbo-progs) writes the JPEG kinds PIL 9.4 cannot: restart markers,
4:4:0 and 4:1:1 sampling, arithmetic coding.
Run: apt-get install libjpeg-turbo-progs; /usr/bin/python3 tools/images/make_image_fixtures.py
(deterministic: same bytes every run)
"""
import gzip
import io
import json
import os
import shutil
import struct
import subprocess
import zlib

import numpy as np
from PIL import Image, ImageOps, __version__ as PIL_VERSION

ROOT = os.path.join(os.path.dirname(__file__), '..', '..')
OUT = os.path.join(ROOT, 'test', 'fixtures', 'images')
FMNIST = '/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz'
ICON = '/usr/share/icons/hicolor/{0}x{0}/apps/chromium.png'

manifest = {'pil': PIL_VERSION, 'fixtures': []}


def fashion(i):
    with gzip.open(FMNIST, 'rb') as f:
        data = f.read()
    magic, n, h, w = struct.unpack('>IIII', data[:16])
    assert magic == 2051
    off = 16 + i * h * w
    return np.frombuffer(data[off:off + h * w], dtype=np.uint8).reshape(h, w)


def icon(size):
    return Image.open(ICON.format(size))  # RGBA


def chunk(kind, body):
    return struct.pack('>I', len(body)) + kind + body + struct.pack('>I', zlib.crc32(kind + body) & 0xffffffff)


ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]


def filter_row(t, cur, prev, bpp):
    """PNG filter type t (spec 9.2) of one scanline, so the hand-made files exercise all five filters."""
    out = bytearray(len(cur))
    for i, x in enumerate(cur):
        a = cur[i - bpp] if i >= bpp else 0
        b = prev[i]
        c = prev[i - bpp] if i >= bpp else 0
        if t == 0:
            pred = 0
        elif t == 1:
            pred = a
        elif t == 2:
            pred = b
        elif t == 3:
            pred = (a + b) // 2
        else:
            pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
            pred = a if pa <= pb and pa <= pc else b if pb <= pc else c
        out[i] = (x - pred) & 0xff
    return bytes([t]) + bytes(out)


def pack_rows(a, depth):
    """a: H×W×C array of samples → scanlines (packed samples, big-endian for 16 bits), row y with filter y % 5."""
    h = a.shape[0]
    bpp = max(1, depth * a.shape[2] // 8)
    rows = []
    prev = None
    for y in range(h):
        row = a[y].reshape(-1)
        if depth == 16:
            body = row.astype('>u2').tobytes()
        elif depth == 8:
            body = row.astype(np.uint8).tobytes()
        else:
            per = 8 // depth
            padded = np.concatenate([row, np.zeros((-len(row)) % per, dtype=row.dtype)]).astype(np.uint8)
            body = bytearray()
            for k in range(0, len(padded), per):
                b = 0
                for s in padded[k:k + per]:
                    b = (b << depth) | int(s)
                body.append(b)
            body = bytes(body)
        if prev is None:
            prev = bytes(len(body))
        rows.append(filter_row(y % 5, body, prev, bpp))
        prev = body
    return b''.join(rows)


def write_png(a, depth, color_type, interlace=False, extra=b''):
    """A PNG by hand: a is H×W×C samples of `depth` bits."""
    h, w = a.shape[:2]
    if not interlace:
        raw = pack_rows(a, depth)
    else:
        raw = b''
        for x0, y0, dx, dy in ADAM7:
            sub = a[y0::dy, x0::dx]
            if sub.shape[0] and sub.shape[1]:
                raw += pack_rows(sub, depth)
    ihdr = struct.pack('>IIBBBBB', w, h, depth, color_type, 0, 0, 1 if interlace else 0)
    z = zlib.compress(raw, 9)
    # Two IDAT chunks: a decoder must join them.
    return (b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', ihdr) + extra + chunk(b'IDAT', z[:len(z) // 2]) +
            chunk(b'IDAT', z[len(z) // 2:]) + chunk(b'IEND', b''))


def save_pil(im, fmt, **kw):
    buf = io.BytesIO()
    im.save(buf, fmt, **kw)
    return buf.getvalue()


def add(name, data, what, exact=True, ref=None):
    """Writes the file and PIL's reference; `ref(mode)` overrides the reference where cnnc chooses otherwise."""
    path = os.path.join(OUT, name)
    with open(path, 'wb') as f:
        f.write(data)
    im = Image.open(path)
    opened = im.mode
    up = ImageOps.exif_transpose(im)
    entry = {'file': name, 'what': what, 'pil_mode': opened, 'width': up.width, 'height': up.height,
             'exact': exact}
    base = os.path.splitext(name)[0]
    for mode in ('L', 'RGB'):
        pil = up.convert(mode).tobytes()
        want = pil if ref is None else ref(mode)
        with open(os.path.join(OUT, f'{base}.{mode}.raw'), 'wb') as f:
            f.write(want)
        if want != pil:
            with open(os.path.join(OUT, f'{base}.pil.{mode}.raw'), 'wb') as f:
                f.write(pil)
            entry.setdefault('pil_differs', []).append(mode)
    manifest['fixtures'].append(entry)


def exif_orientation(o):
    """A minimal little-endian TIFF IFD0 with one SHORT Orientation tag (0x0112)."""
    ifd = struct.pack('<H', 1) + struct.pack('<HHII', 0x0112, 3, 1, o) + struct.pack('<I', 0)
    return b'II*\x00' + struct.pack('<I', 8) + ifd


def main():
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        os.remove(os.path.join(OUT, f))
    shirt = fashion(0)   # 28×28, 8-bit grey
    boot = fashion(1)
    rgba32 = icon(32)
    rgba48 = icon(48)
    rgb48 = rgba48.convert('RGB')

    # ---- PNG: every bit depth and colour type ----
    add('gray8.png', save_pil(Image.fromarray(shirt, 'L'), 'PNG'), 'Fashion-MNIST, 8-bit grey (PIL)')
    add('gray1.png', save_pil(Image.fromarray(shirt, 'L').convert('1', dither=Image.NONE), 'PNG'),
        '1-bit grey (PIL mode 1)')
    add('gray2.png', write_png((shirt >> 6)[..., None], 2, 0), '2-bit grey (by hand)')
    add('gray4.png', write_png((boot >> 4)[..., None], 4, 0), '4-bit grey (by hand)')
    g16 = shirt.astype(np.uint16) * 257 + (np.arange(28 * 28).reshape(28, 28) % 199).astype(np.uint16)
    g16 = np.minimum(g16, 65535).astype(np.uint16)
    # PIL opens 16-bit grey as mode I and convert('L'/'RGB') clips it at 255; cnnc keeps the high byte, as
    # PIL itself does for 16-bit RGB ("RGB;16B"). The reference is that high byte; PIL's clipped bytes go beside.
    hi = (g16 >> 8).astype(np.uint8)
    add('gray16.png', write_png(g16[..., None], 16, 0), '16-bit grey (by hand): cnnc keeps the high byte',
        ref=lambda m: hi.tobytes() if m == 'L' else np.repeat(hi[..., None], 3, axis=2).tobytes())
    add('gray8-trns.png', save_pil(Image.fromarray(shirt, 'L'), 'PNG', transparency=0), '8-bit grey with tRNS (PIL)')
    alpha = (np.arange(28 * 28).reshape(28, 28) * 7 % 256).astype(np.uint8)
    add('la8.png', save_pil(Image.fromarray(np.dstack([boot, alpha]), 'LA'), 'PNG'), 'grey + alpha, 8-bit (PIL)')
    la16 = np.dstack([boot.astype(np.uint16) * 257, alpha.astype(np.uint16) * 257 + 3])
    add('la16.png', write_png(la16, 16, 4), 'grey + alpha, 16-bit (by hand)')
    add('rgb8.png', save_pil(rgb48, 'PNG'), 'chromium icon, RGB 8-bit (PIL)')
    rgb = np.asarray(rgb48).astype(np.uint16)
    add('rgb16.png', write_png(rgb * 257 + 100, 16, 2), 'RGB 16-bit (by hand)')
    add('rgba8.png', open(ICON.format(32), 'rb').read(), "chromium's own 32×32 RGBA icon, as installed")
    rgba = np.asarray(rgba32).astype(np.uint16)
    add('rgba16.png', write_png(rgba * 257 + 5, 16, 6), 'RGBA 16-bit (by hand)')
    add('palette8.png', save_pil(rgb48.quantize(256), 'PNG'), 'palette, 8-bit indices (PIL quantize)')
    add('palette4.png', save_pil(rgb48.quantize(16), 'PNG', bits=4), 'palette, 4-bit indices (PIL)')
    add('palette2.png', save_pil(rgb48.quantize(4), 'PNG', bits=2), 'palette, 2-bit indices (PIL)')
    add('palette1.png', save_pil(rgb48.quantize(2), 'PNG', bits=1), 'palette, 1-bit indices (PIL)')
    add('palette-trns.png', save_pil(rgba32.quantize(64, method=Image.FASTOCTREE), 'PNG'),
        'palette with tRNS alpha, from the RGBA icon (PIL)')
    add('rgba8-adam7.png', write_png(np.asarray(rgba32), 8, 6, interlace=True), 'RGBA 8-bit, Adam7 interlaced (by hand)')
    add('gray1-adam7.png', write_png((shirt > 100).astype(np.uint8)[..., None], 1, 0, interlace=True),
        '1-bit grey, Adam7 interlaced (by hand)')
    add('rgb16-adam7.png', write_png(rgb[:37, :45] * 257 + 100, 16, 2, interlace=True),
        'RGB 16-bit, 45×37, Adam7 interlaced (by hand)')
    add('gray4-adam7.png', write_png((boot[:27, :26] >> 4)[..., None], 4, 0, interlace=True),
        '4-bit grey, 26×27, Adam7 interlaced (by hand)')
    pal = bytes(np.asarray(rgb48.quantize(4).getpalette()[:12], dtype=np.uint8))
    idx = np.asarray(rgb48.quantize(4))
    add('palette2-adam7.png', write_png(idx[..., None], 2, 3, interlace=True, extra=chunk(b'PLTE', pal)),
        'palette, 2-bit indices, Adam7 interlaced (by hand)')
    idx16 = np.asarray(rgb48.quantize(16))
    pal8 = bytes(np.asarray(rgb48.quantize(16).getpalette()[:24], dtype=np.uint8))
    add('palette-short-plte.png', write_png(idx16[..., None], 8, 3, extra=chunk(b'PLTE', pal8)),
        'palette whose indices 8-15 are past its 8-colour PLTE: PIL reads its grey ramp there (by hand)')
    add('png-exif6.png', save_pil(rgb48.crop((0, 0, 48, 30)), 'PNG', exif=b'Exif\x00\x00' + exif_orientation(6)),
        'RGB 48×30 with an eXIf chunk, orientation 6 (PIL)')

    # ---- JPEG (PIL / libjpeg-turbo) ----
    add('gray.jpg', save_pil(Image.fromarray(shirt, 'L'), 'JPEG', quality=90), 'Fashion-MNIST, grey baseline', exact=False)
    add('gray-progressive.jpg', save_pil(Image.fromarray(boot, 'L'), 'JPEG', quality=90, progressive=True),
        'grey progressive', exact=False)
    add('rgb-420.jpg', save_pil(rgb48, 'JPEG', quality=85), 'chromium icon, baseline 4:2:0', exact=False)
    add('rgb-422.jpg', save_pil(rgb48, 'JPEG', quality=85, subsampling=1), 'baseline 4:2:2', exact=False)
    add('rgb-444.jpg', save_pil(rgb48, 'JPEG', quality=95, subsampling=0), 'baseline 4:4:4', exact=False)
    add('rgb-progressive.jpg', save_pil(rgb48, 'JPEG', quality=85, progressive=True), 'progressive 4:2:0', exact=False)
    odd = rgb48.crop((1, 2, 46, 39))  # 45×37: partial MCUs on both edges
    add('rgb-odd-420.jpg', save_pil(odd, 'JPEG', quality=85), '45×37 baseline 4:2:0 (partial MCUs)', exact=False)
    add('rgb-progressive-optimized.jpg', save_pil(rgb48, 'JPEG', quality=85, progressive=True, optimize=True),
        'progressive, optimized Huffman tables', exact=False)
    # A YCbCr file that says so with an Adobe APP14 marker (transform 1) instead of JFIF, as Photoshop writes them.
    plain = save_pil(rgb48, 'JPEG', quality=85)
    assert plain[2:4] == b'\xff\xe0'
    app0_end = 4 + struct.unpack('>H', plain[4:6])[0]
    adobe = b'\xff\xee' + struct.pack('>H', 14) + b'Adobe' + struct.pack('>HHHB', 100, 0, 0, 1)
    add('rgb-adobe-ycc.jpg', plain[:2] + adobe + plain[app0_end:], 'YCbCr with an Adobe marker, transform 1 (no JFIF)',
        exact=False)
    add('cmyk.jpg', save_pil(rgb48.convert('CMYK'), 'JPEG', quality=90), 'CMYK with an Adobe marker (PIL)', exact=False)
    if shutil.which('cjpeg') is None:
        raise SystemExit('cjpeg not found: apt-get install libjpeg-turbo-progs')
    ppm = save_pil(rgb48, 'PPM')

    def cjpeg(*args):
        return subprocess.run(['cjpeg', *args], input=ppm, capture_output=True, check=True).stdout
    add('rgb-440.jpg', cjpeg('-quality', '85', '-sample', '1x2,1x1,1x1'), '4:4:0 (cjpeg): chroma upsampled h1v2', exact=False)
    add('rgb-411.jpg', cjpeg('-quality', '85', '-sample', '4x1,1x1,1x1'), '4:1:1 (cjpeg): chroma repeated ×4', exact=False)
    add('rgb-stored-rgb.jpg', cjpeg('-quality', '90', '-rgb'), 'stored as RGB, not YCbCr (cjpeg -rgb: Adobe marker, transform 0)',
        exact=False)
    add('rgb-restart.jpg', cjpeg('-quality', '85', '-restart', '1B'), 'restart marker after every MCU (cjpeg)', exact=False)
    with open(os.path.join(OUT, 'rgb-arithmetic.jpg'), 'wb') as f:
        f.write(cjpeg('-quality', '85', '-arithmetic'))  # PIL opens it; cnnc refuses it (jpeg-js has no arithmetic decoder)

    small = rgb48.resize((20, 12), Image.BILINEAR)
    for o in range(1, 9):
        exif = b'Exif\x00\x00' + exif_orientation(o)
        add(f'exif{o}.jpg', save_pil(small, 'JPEG', quality=90, exif=exif), f'20×12 with EXIF orientation {o}', exact=False)

    # ---- bench: a 500×375 colour JPEG (a mosaic of the icons over Fashion-MNIST), no reference ----
    canvas = Image.new('RGB', (500, 375))
    for k in range(18 * 14):
        tile = Image.fromarray(fashion(k), 'L').convert('RGB')
        canvas.paste(tile, ((k % 18) * 28, (k // 18) * 28))
    big = icon(256).convert('RGBA')
    canvas.paste(big, (120, 60), big)
    canvas.save(os.path.join(OUT, 'bench-500x375.jpg'), 'JPEG', quality=85)
    Image.fromarray(shirt, 'L').save(os.path.join(OUT, 'bench-28x28.png'))

    # ---- refusals that need a file built on purpose ----
    ihdr = struct.pack('>IIBBBBB', 100000, 100000, 8, 2, 0, 0, 0)
    bomb = (b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', ihdr) + chunk(b'IDAT', zlib.compress(b'\x00' * 64)) +
            chunk(b'IEND', b''))
    with open(os.path.join(OUT, 'bomb-100000x100000.png'), 'wb') as f:
        f.write(bomb)
    with open(os.path.join(OUT, 'shirt.gif'), 'wb') as f:
        f.write(save_pil(Image.fromarray(shirt, 'L'), 'GIF'))

    with open(os.path.join(OUT, 'manifest.json'), 'w') as f:
        json.dump(manifest, f, indent=1)
        f.write('\n')
    total = sum(os.path.getsize(os.path.join(OUT, f)) for f in os.listdir(OUT))
    print(f'{len(manifest["fixtures"])} fixtures, {total} bytes in {OUT}')


if __name__ == '__main__':
    main()
