"""Draw Homecoming's brand images: a car driving home to a house.

Run from the repository root with the project's virtual environment (Pillow ships
with Home Assistant):

    .venv/bin/python scripts/make_brand.py [output directory]

Writes icon.png (256x256), icon@2x.png (512x512), logo.png / logo@2x.png (the
mark and the word "Homecoming") and dark_logo.png / dark_logo@2x.png (the same
with light lettering for dark themes) into custom_components/homecoming/brand/.
The mark itself has only two colours and transparent cut-outs, so it reads on
light and dark backgrounds alike and needs no dark variant.

Everything is drawn at four times the final size and scaled down, which gives
smooth, anti-aliased edges without an anti-aliasing rasteriser.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

ROOT = Path(__file__).resolve().parent.parent
BRAND_DIR = ROOT / "custom_components" / "homecoming" / "brand"

SUPERSAMPLE = 4
CANVAS = 256 * SUPERSAMPLE
"""The mark's design grid: 1024 units, drawn at 4x the 256 px icon."""

HOUSE = (30, 136, 229, 255)  # Material blue 600
CAR = (255, 160, 0, 255)  # Material amber 700
TEXT_LIGHT_THEME = (38, 50, 56, 255)  # Material blue grey 900
TEXT_DARK_THEME = (236, 239, 241, 255)  # Material blue grey 50
CLEAR = (0, 0, 0, 0)

GAP = 36
"""Width of the transparent gap that separates the car from the house."""

FONT_CANDIDATES = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),
    Path("/usr/share/fonts/dejavu/DejaVuSans-Bold.ttf"),
    Path("/usr/share/fonts/TTF/DejaVuSans-Bold.ttf"),
)


def _mask() -> tuple[Image.Image, ImageDraw.ImageDraw]:
    """Return an empty single-channel mask of the design grid and a pen for it."""
    mask = Image.new("L", (CANVAS, CANVAS), 0)
    return mask, ImageDraw.Draw(mask)


def _house_mask() -> Image.Image:
    """Draw the house: a pitched roof over a body, with a chimney and a window."""
    mask, pen = _mask()
    # Body, then the roof over it; the roof overhangs the walls a little.
    pen.rounded_rectangle((380, 470, 984, 980), radius=40, fill=255)
    pen.polygon([(300, 520), (682, 150), (1064, 520)], fill=255)
    pen.rounded_rectangle((820, 190, 910, 420), radius=16, fill=255)
    # Round the roof's eaves and ridge by trimming with a rounded silhouette.
    trimmed = mask.filter(ImageFilter.MinFilter(31)).filter(ImageFilter.MaxFilter(31))
    window, window_pen = _mask()
    window_pen.rounded_rectangle((612, 400, 752, 540), radius=22, fill=255)
    return Image.composite(Image.new("L", mask.size, 0), trimmed, window)


def _car_masks() -> tuple[Image.Image, Image.Image]:
    """Draw the car, side on and facing the house; return it and its silhouette."""
    body, pen = _mask()
    # Cabin: a rounded trapezoid set back on the body, the long bonnet in front.
    pen.polygon([(150, 720), (250, 560), (470, 560), (620, 720)], fill=255)
    pen.rounded_rectangle((40, 690, 780, 880), radius=70, fill=255)
    body = body.filter(ImageFilter.MinFilter(25)).filter(ImageFilter.MaxFilter(25))
    silhouette = body.copy()
    pen = ImageDraw.Draw(body)
    # Windows, cut out of the cabin, split by the pillar.
    pen.polygon([(225, 700), (285, 605), (360, 605), (360, 700)], fill=0)
    pen.polygon([(400, 700), (400, 605), (450, 605), (545, 700)], fill=0)
    # Wheel arches, then the wheels inside them, each with a hub cut-out.
    silhouette_pen = ImageDraw.Draw(silhouette)
    for centre in (210, 610):
        pen.ellipse((centre - 125, 755, centre + 125, 1005), fill=0)
        pen.ellipse((centre - 92, 788, centre + 92, 972), fill=255)
        pen.ellipse((centre - 34, 846, centre + 34, 914), fill=0)
        silhouette_pen.ellipse((centre - 92, 788, centre + 92, 972), fill=255)
    return body, silhouette


def draw_mark() -> Image.Image:
    """Return the mark at the 4x design size, on a transparent background."""
    house = _house_mask()
    car, silhouette = _car_masks()
    # Keep a clear gap between the car and the house behind it; the house does not
    # show through the car's windows.
    halo = silhouette.filter(ImageFilter.MaxFilter(2 * GAP + 1))
    house.paste(0, mask=halo)
    mark = Image.new("RGBA", house.size, CLEAR)
    mark.paste(HOUSE, mask=house)
    mark.paste(CAR, mask=car)
    return mark


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """Return DejaVu Sans Bold at a size, or Pillow's built-in font without it."""
    for candidate in FONT_CANDIDATES:
        if candidate.exists():
            return ImageFont.truetype(str(candidate), size)
    return ImageFont.load_default(size)


def draw_logo(mark: Image.Image, text_colour: tuple[int, int, int, int]) -> Image.Image:
    """Return the mark followed by the word "Homecoming", at the 4x design size."""
    height = mark.height
    font = _font(int(height * 0.42))
    left, top, right, bottom = font.getbbox("Homecoming")
    spacing = int(height * 0.16)
    width = height + spacing + (right - left)
    logo = Image.new("RGBA", (width, height), CLEAR)
    logo.paste(mark, (0, 0))
    pen = ImageDraw.Draw(logo)
    # Centre the lettering vertically on the house body's middle.
    baseline_top = (height - (bottom - top)) // 2 - top + int(height * 0.08)
    x = height + spacing - left
    home_width = int(font.getlength("Home"))
    pen.text((x, baseline_top), "Home", font=font, fill=HOUSE)
    pen.text((x + home_width, baseline_top), "coming", font=font, fill=text_colour)
    return logo


def _trim(image: Image.Image) -> Image.Image:
    """Crop an image to its visible pixels."""
    box = image.getchannel("A").getbbox()
    return image.crop(box) if box else image


def _square(image: Image.Image, margin: int) -> Image.Image:
    """Centre a trimmed image on a transparent square with a small margin."""
    side = max(image.size) + 2 * margin
    square = Image.new("RGBA", (side, side), CLEAR)
    square.paste(image, ((side - image.width) // 2, (side - image.height) // 2))
    return square


def _save(image: Image.Image, size: tuple[int, int], path: Path) -> None:
    """Scale an image down to its final size and write it as an optimised PNG."""
    image.resize(size, Image.Resampling.LANCZOS).save(path, optimize=True)
    print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")


def main() -> None:
    """Draw every brand image into the brand directory."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", nargs="?", type=Path, default=BRAND_DIR)
    output: Path = parser.parse_args().output
    output.mkdir(parents=True, exist_ok=True)

    icon = _square(_trim(draw_mark()), margin=6 * SUPERSAMPLE)
    _save(icon, (256, 256), output / "icon.png")
    _save(icon, (512, 512), output / "icon@2x.png")

    for prefix, colour in (("", TEXT_LIGHT_THEME), ("dark_", TEXT_DARK_THEME)):
        logo = _trim(draw_logo(icon, colour))
        for name, height in (("logo.png", 128), ("logo@2x.png", 256)):
            width = round(logo.width * height / logo.height)
            _save(logo, (width, height), output / f"{prefix}{name}")


if __name__ == "__main__":
    main()
