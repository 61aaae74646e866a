"""App icons rendered from one source image: manifest icons, the Apple touch icon and ``favicon.ico``.

Output is deterministic (no timestamps or text chunks, fixed encoder settings), so the hashed names and
SRI values only change when the source image or the background colour does.
"""

from __future__ import annotations

import io
import math
import warnings
from pathlib import Path
from types import MappingProxyType

from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from pipeline.core.errors import ConfigError
from pipeline.pwa.settings import parse_color

MIN_SOURCE_SIZE = 512
ICON_192 = "icons/icon-192.png"
ICON_512 = "icons/icon-512.png"
MASKABLE_512 = "icons/maskable-512.png"
APPLE_TOUCH_ICON = "icons/apple-touch-icon.png"
FAVICON = "favicon.ico"
FAVICON_SIZES = (16, 32, 48)
APPLE_TOUCH_SIZE = 180
# W3C "maskable icon" safe zone: the centred circle whose radius is 40 % of the icon's size.
SAFE_ZONE_RATIO = 0.4

# The manifest's "icons" members, with ``src`` as a logical path (the caller swaps in the served URL).
# Separate "any" and "maskable" icons: a maskable image looks too small where "any" is expected.
ICON_ENTRIES: tuple[MappingProxyType, ...] = tuple(
    MappingProxyType(entry) for entry in (
        {"src": ICON_192, "sizes": "192x192", "type": "image/png", "purpose": "any"},
        {"src": ICON_512, "sizes": "512x512", "type": "image/png", "purpose": "any"},
        {"src": MASKABLE_512, "sizes": "512x512", "type": "image/png", "purpose": "maskable"},
    )
)
OUTPUT_NAMES = (ICON_192, ICON_512, MASKABLE_512, APPLE_TOUCH_ICON, FAVICON)


def render_icons(source: bytes, *, background: str, source_path: str | Path | None = None) -> dict[str, bytes]:
    """Every icon file, keyed by logical output path (:data:`OUTPUT_NAMES`), as PNG or ICO bytes.

    ``background`` is a CSS colour (the manifest's ``background_color``) behind the maskable and Apple
    icons, which must be opaque. ``source_path`` names the image in error messages. Raises
    :class:`PipelineError` when the source is not an image Pillow can read, is smaller than 512 px on its
    shortest side, or is fully transparent.
    """
    color = parse_color(background, key="background_color")
    square = _square(_load(source, source_path))
    opaque = square.getchannel("A").getextrema()[0] == 255
    icons = {
        ICON_192: _png(_resize(square, 192), keep_alpha=not opaque),
        ICON_512: _png(_resize(square, 512), keep_alpha=not opaque),
        MASKABLE_512: _png(_maskable(square, 512, color, source_path), keep_alpha=False),
        APPLE_TOUCH_ICON: _png(_flatten(_resize(square, APPLE_TOUCH_SIZE), color), keep_alpha=False),
        FAVICON: _ico([_resize(square, size) for size in FAVICON_SIZES]),
    }
    return {name: icons[name] for name in OUTPUT_NAMES}


def _load(source: bytes, source_path: str | Path | None) -> Image.Image:
    """Decode, orient by EXIF, convert to sRGB RGBA, and check the size."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(source))
            image.load()
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning, OSError,
            SyntaxError, ValueError) as exc:
        reason = "not an image Pillow can read" if isinstance(exc, UnidentifiedImageError) else str(exc)
        raise ConfigError(f"cannot read the PWA icon: {reason}; use a PNG of at least 512x512 pixels",
                            path=source_path) from None
    image = ImageOps.exif_transpose(image)
    width, height = image.size
    if min(width, height) < MIN_SOURCE_SIZE:
        raise ConfigError(f"the PWA icon is {width}x{height} pixels; it must be at least "
                            f"{MIN_SOURCE_SIZE}x{MIN_SOURCE_SIZE} (use a larger image, ideally square)",
                            path=source_path)
    rgba = _to_rgba(image)
    if rgba.getchannel("A").getbbox() is None:
        raise ConfigError("the PWA icon is fully transparent", path=source_path)
    return rgba


def _to_rgba(image: Image.Image) -> Image.Image:
    profile = image.info.get("icc_profile")
    if image.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        image = image.convert("I").point(lambda v: v * (1 / 256)).convert("L")  # 16-bit grey: keep the tones
    elif image.mode == "F":
        image = image.convert("L")
    rgba = image.convert("RGBA")
    if profile:
        rgba = _to_srgb(rgba, profile)
    return rgba


def _to_srgb(image: Image.Image, profile: bytes) -> Image.Image:
    """Convert pixels from an embedded RGB colour profile (e.g. Display P3) to sRGB, as browsers would.

    The icons are written without a profile, which means sRGB. A profile that cannot be read, or one
    that is not RGB (grey, CMYK: Pillow already converted those pixels), is ignored, like browsers do.
    """
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
        if source.profile.xcolor_space.strip() != "RGB":
            return image
        return ImageCms.profileToProfile(image, source, _srgb(), outputMode="RGBA")
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return image


def _srgb() -> ImageCms.ImageCmsProfile:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def _square(image: Image.Image) -> Image.Image:
    """Centre a non-square image on a transparent square canvas."""
    width, height = image.size
    if width == height:
        return image
    side = max(width, height)
    canvas = Image.new("RGBA", (side, side), (0, 0, 0, 0))
    canvas.paste(image, ((side - width) // 2, (side - height) // 2))
    return canvas


def _resize(image: Image.Image, width: int, height: int | None = None) -> Image.Image:
    """LANCZOS resampling; for RGBA, Pillow resamples premultiplied alpha, so the colour of transparent
    pixels never bleeds into edges."""
    size = (width, height if height is not None else width)
    if image.size == size:
        return image.copy()
    return image.resize(size, Image.Resampling.LANCZOS)


def _flatten(image: Image.Image, color: tuple[int, int, int]) -> Image.Image:
    """Composite on an opaque background: iOS shows transparency as black."""
    canvas = Image.new("RGBA", image.size, (*color, 255))
    canvas.alpha_composite(image)
    return canvas.convert("RGB")


def _maskable(image: Image.Image, size: int, color: tuple[int, int, int],
              source_path: str | Path | None) -> Image.Image:
    """The visible part of ``image`` scaled so its bounding box lies inside the safe-zone circle."""
    content = image.crop(image.getchannel("A").getbbox())
    width, height = content.size
    radius = SAFE_ZONE_RATIO * size
    centre = size / 2
    # The box's half-diagonal must not exceed the radius; shrink a pixel at a time for rounding.
    scale = radius / math.hypot(width / 2, height / 2)
    while True:
        w, h = max(1, math.floor(width * scale)), max(1, math.floor(height * scale))
        left, top = (size - w) // 2, (size - h) // 2
        corner = math.hypot(max(centre - left, left + w - centre), max(centre - top, top + h - centre))
        if corner <= radius:
            break
        scale *= (max(w, h) - 1) / max(w, h)
    canvas = Image.new("RGBA", (size, size), (*color, 255))
    canvas.alpha_composite(_resize(content, w, h), (left, top))
    return canvas.convert("RGB")


def _png(image: Image.Image, *, keep_alpha: bool) -> bytes:
    out = io.BytesIO()
    image = image if keep_alpha or image.mode == "RGB" else image.convert("RGB")
    # No pnginfo, no icc_profile, no exif: Pillow then writes no timestamp or text chunk.
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _ico(frames: list[Image.Image]) -> bytes:
    """One ICO with a PNG-compressed frame per size, each resampled by :func:`_resize` (not by the encoder)."""
    out = io.BytesIO()
    largest = frames[-1]
    largest.save(out, format="ICO", sizes=[f.size for f in frames], append_images=frames[:-1])
    return out.getvalue()
