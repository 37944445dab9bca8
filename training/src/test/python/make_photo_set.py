#!/usr/bin/env python3
"""The real-photo set for the paper-scale import check: the test photos Debian's python3-skimage ships, as they are
(PNG, JPEG, grayscale, palette, alpha, a 16-bit TIFF whose values only reach 255, so it is nearly black) plus variants that exercise the decoder: progressive JPEG, CMYK
JPEG, an EXIF-rotated JPEG (pixels stored sideways, orientation tag 6), 16-bit PNG, RGBA with transparency, palette.

  /usr/bin/python3 make_photo_set.py OUT_DIR [MAX_SIDE]

With MAX_SIDE, every photo is first shrunk (box filter) so that its longer side is at most MAX_SIDE pixels, keeping
its format and mode: the small set committed under src/test/resources/reference/photos (MAX_SIDE 48) is made so.
"""
import os
import shutil
import sys

import numpy as np
from PIL import Image

SKIMAGE = "/usr/lib/python3/dist-packages/skimage/data"
AS_IS = ["astronaut.png", "coffee.png", "chelsea.png", "rocket.jpg", "hubble_deep_field.jpg", "motorcycle_left.png",
         "camera.png", "palette_color.png", "logo.png", "chessboard_GRAY_U16.tif"]


def shrink(img, max_side):
    if not max_side or max(img.size) <= max_side:
        return img
    scale = max_side / max(img.size)
    size = (max(1, round(img.size[0] * scale)), max(1, round(img.size[1] * scale)))
    if img.mode == "P":
        return img.convert("RGB").resize(size, Image.BOX).quantize(min(256, len(img.getcolors(256) or range(256))))
    if img.mode.startswith("I;16"):
        a = np.asarray(img.convert("I"), dtype=np.float64)
        small = Image.fromarray(a).resize(size, Image.BOX)
        return Image.frombytes(img.mode, size, np.asarray(small).round().astype("<u2").tobytes())
    return img.resize(size, Image.BOX)


def main(out, max_side=None):
    os.makedirs(out, exist_ok=True)
    for i, name in enumerate(AS_IS):
        target = os.path.join(out, f"{i:02d}-{name}")
        if max_side:
            img = Image.open(os.path.join(SKIMAGE, name))
            kwargs = {"quality": 90} if name.endswith(".jpg") else {}
            shrink(img, max_side).save(target, **kwargs)
        else:
            shutil.copy(os.path.join(SKIMAGE, name), target)
    load = lambda n, mode: shrink(Image.open(os.path.join(SKIMAGE, n)).convert(mode), max_side)
    astronaut = load("astronaut.png", "RGB")
    coffee = load("coffee.png", "RGB")
    chelsea = load("chelsea.png", "RGB")
    camera = load("camera.png", "L")
    rocket = load("rocket.jpg", "RGB")
    astronaut.save(os.path.join(out, "10-astronaut-progressive.jpg"), quality=90, progressive=True)
    coffee.convert("CMYK").save(os.path.join(out, "11-coffee-cmyk.jpg"), quality=90)
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: the stored pixels must be rotated 90 degrees clockwise to display
    chelsea.transpose(Image.Transpose.ROTATE_90).save(os.path.join(out, "12-chelsea-exif-rotated.jpg"), quality=90, exif=exif)
    wide = (np.asarray(camera, dtype=np.uint16) * 257).astype("<u2")  # full 16-bit range, 0..65535
    Image.frombytes("I;16", camera.size, wide.tobytes()).save(os.path.join(out, "13-camera-16bit.png"))
    rgba = rocket.convert("RGBA")
    w, h = rgba.size
    alpha = Image.linear_gradient("L").resize((w, h))
    rgba.putalpha(alpha)
    rgba.save(os.path.join(out, "14-rocket-alpha.png"))
    astronaut.quantize(64).save(os.path.join(out, "15-astronaut-palette.png"))
    for n in sorted(os.listdir(out)):
        im = Image.open(os.path.join(out, n))
        print(f"{n}: {im.format} {im.mode} {im.size[0]}x{im.size[1]}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "photos", int(sys.argv[2]) if len(sys.argv) > 2 else None)
