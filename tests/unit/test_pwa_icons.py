"""pipeline.pwa.icons: sizes, opacity, the maskable safe zone, the ICO frames, determinism and errors."""

from __future__ import annotations

import io
import math

import pytest
from PIL import Image, ImageCms, ImageDraw

from pipeline.core.errors import PipelineError
from pipeline.pwa import icons
from pipeline.pwa.icons import ICON_ENTRIES, OUTPUT_NAMES, render_icons

BACKGROUND = "#123456"
BACKGROUND_RGB = (0x12, 0x34, 0x56)


def encode(image: Image.Image, fmt: str = "PNG", **params) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **params)
    return out.getvalue()


def logo(width: int = 640, height: int = 640, box: tuple[int, int, int, int] | None = None) -> Image.Image:
    """A transparent canvas with an opaque red rectangle (by default the whole middle third)."""
    image = Image.new("RGBA", (width, height), (255, 255, 255, 0))
    box = box or (width // 3, height // 3, 2 * width // 3, 2 * height // 3)
    ImageDraw.Draw(image).rectangle(box, fill=(220, 20, 60, 255))
    return image


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


@pytest.fixture(scope="module")
def rendered() -> dict[str, bytes]:
    return render_icons(encode(logo()), background=BACKGROUND, source_path="icon.png")


def test_outputs_and_formats(rendered: dict[str, bytes]) -> None:
    assert list(rendered) == list(OUTPUT_NAMES) == [
        "icons/icon-192.png", "icons/icon-512.png", "icons/maskable-512.png", "icons/apple-touch-icon.png",
        "favicon.ico"]
    expected = {"icons/icon-192.png": ("PNG", (192, 192)), "icons/icon-512.png": ("PNG", (512, 512)),
                "icons/maskable-512.png": ("PNG", (512, 512)), "icons/apple-touch-icon.png": ("PNG", (180, 180))}
    for name, (fmt, size) in expected.items():
        image = opened(rendered[name])
        assert (image.format, image.size) == (fmt, size), name


def test_any_icons_keep_transparency(rendered: dict[str, bytes]) -> None:
    for name in ("icons/icon-192.png", "icons/icon-512.png"):
        image = opened(rendered[name])
        assert image.mode == "RGBA"
        assert image.getpixel((0, 0))[3] == 0
        centre = image.getpixel((image.width // 2, image.height // 2))
        assert centre == (220, 20, 60, 255)


def test_opaque_source_gives_opaque_any_icons() -> None:
    out = render_icons(encode(Image.new("RGB", (600, 600), (10, 200, 30)), "JPEG", quality=95), background="#fff")
    image = opened(out["icons/icon-192.png"])
    assert image.mode == "RGB"


def test_apple_touch_icon_is_opaque_on_the_background(rendered: dict[str, bytes]) -> None:
    image = opened(rendered["icons/apple-touch-icon.png"])
    assert image.mode == "RGB"  # no alpha channel at all: iOS shows transparency as black
    assert "transparency" not in image.info
    assert image.getpixel((0, 0)) == BACKGROUND_RGB
    assert image.getpixel((90, 90)) == (220, 20, 60)


def safe_zone_violations(image: Image.Image, is_content) -> list[tuple[int, int]]:
    radius = 0.4 * image.width
    centre = image.width / 2
    return [(x, y) for y in range(image.height) for x in range(image.width)
            if is_content(image.getpixel((x, y))) and math.hypot(x + 0.5 - centre, y + 0.5 - centre) > radius]


@pytest.mark.parametrize("source", [
    logo(),  # content in the middle third
    logo(box=(0, 0, 639, 639)),  # a full-bleed opaque square
    logo(900, 600, box=(0, 250, 899, 350)),  # a wide, thin banner: the diagonal decides
    logo(600, 900, box=(10, 5, 40, 890)),  # off-centre content: cropped to its bounding box, then centred
], ids=["centred", "full-bleed", "banner", "off-centre"])
def test_maskable_content_lies_inside_the_safe_zone(source: Image.Image) -> None:
    image = opened(render_icons(encode(source), background=BACKGROUND)["icons/maskable-512.png"])
    assert image.mode == "RGB" and image.size == (512, 512)
    for corner in ((0, 0), (511, 0), (0, 511), (511, 511)):
        assert image.getpixel(corner) == BACKGROUND_RGB
    assert safe_zone_violations(image, lambda px: px != BACKGROUND_RGB) == []
    # The content is scaled up to the zone, not left small: it reaches close to the circle.
    content = [(x, y) for y in range(0, 512, 2) for x in range(0, 512, 2) if image.getpixel((x, y)) != BACKGROUND_RGB]
    farthest = max(math.hypot(x + 0.5 - 256, y + 0.5 - 256) for x, y in content)
    assert farthest > 0.4 * 512 - 8


def test_source_opaque_pixels_map_into_the_circle() -> None:
    """Every pixel the source made opaque (a red one) is inside the circle; outside is pure background."""
    image = opened(render_icons(encode(logo(box=(0, 0, 639, 639))), background="#000000")["icons/maskable-512.png"])
    assert safe_zone_violations(image, lambda px: px != (0, 0, 0)) == []
    assert image.getpixel((256, 256)) == (220, 20, 60)


def test_favicon_has_16_32_48_frames(rendered: dict[str, bytes]) -> None:
    ico = opened(rendered["favicon.ico"])
    assert ico.format == "ICO"
    assert ico.info["sizes"] == {(16, 16), (32, 32), (48, 48)}
    for size in (16, 32, 48):
        ico.size = (size, size)
        ico.load()
        assert ico.size == (size, size)
        assert ico.mode == "RGBA"


def test_non_square_source_is_centred_on_transparency() -> None:
    out = render_icons(encode(Image.new("RGB", (1024, 512), (0, 0, 255))), background="#fff")
    image = opened(out["icons/icon-512.png"])
    assert image.getpixel((256, 0))[3] == 0 and image.getpixel((256, 511))[3] == 0
    assert image.getpixel((256, 256)) == (0, 0, 255, 255)
    assert image.getpixel((0, 256)) == (0, 0, 255, 255)


def test_transparent_pixels_do_not_bleed_their_colour() -> None:
    """Resampling uses premultiplied alpha: the invisible white around the logo must not lighten its edge."""
    image = opened(render_icons(encode(logo()), background="#000")["icons/icon-192.png"])
    edge = [image.getpixel((x, 96)) for x in range(55, 75)]
    for r, g, b, a in edge:
        if a:
            assert (g, b) < (60, 100), (r, g, b, a)


def test_output_is_deterministic_and_carries_no_metadata(rendered: dict[str, bytes]) -> None:
    again = render_icons(encode(logo()), background=BACKGROUND, source_path="icon.png")
    assert again == rendered
    for name in ("icons/icon-192.png", "icons/icon-512.png", "icons/maskable-512.png", "icons/apple-touch-icon.png"):
        for chunk in (b"tIME", b"tEXt", b"iTXt", b"zTXt", b"eXIf", b"iCCP"):
            assert chunk not in rendered[name], (name, chunk)


def test_background_changes_only_the_opaque_icons(rendered: dict[str, bytes]) -> None:
    other = render_icons(encode(logo()), background="#abcdef")
    assert other["icons/icon-512.png"] == rendered["icons/icon-512.png"]
    assert other["favicon.ico"] == rendered["favicon.ico"]
    assert other["icons/maskable-512.png"] != rendered["icons/maskable-512.png"]
    assert other["icons/apple-touch-icon.png"] != rendered["icons/apple-touch-icon.png"]


def test_exif_orientation_is_applied() -> None:
    source = Image.new("RGB", (1024, 512), (0, 0, 0))
    ImageDraw.Draw(source).rectangle((0, 0, 511, 511), fill=(255, 255, 255))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    out = render_icons(encode(source, "JPEG", exif=exif, quality=95), background="#fff")
    image = opened(out["icons/icon-512.png"])
    assert image.getpixel((256, 100))[:3] > (200, 200, 200)  # the white half is now on top
    assert image.getpixel((256, 400))[:3] < (50, 50, 50)


def test_srgb_profile_and_16_bit_grey_sources() -> None:
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    plain = render_icons(encode(logo()), background="#fff")
    tagged = render_icons(encode(logo(), icc_profile=srgb), background="#fff")
    assert opened(tagged["icons/icon-512.png"]).getpixel((256, 256)) == (220, 20, 60, 255)
    assert opened(plain["icons/icon-512.png"]).getpixel((256, 256)) == (220, 20, 60, 255)
    grey = render_icons(encode(Image.new("I;16", (600, 600), 0x8000)), background="#fff")
    assert opened(grey["icons/icon-192.png"]).getpixel((96, 96))[:3] == (128, 128, 128)


@pytest.mark.parametrize(("size", "shown"), [((511, 800), "511x800"), ((800, 300), "800x300"), ((16, 16), "16x16")])
def test_too_small_source_is_an_error_naming_file_and_size(size: tuple[int, int], shown: str) -> None:
    with pytest.raises(PipelineError) as info:
        render_icons(encode(Image.new("RGB", size, "red")), background="#fff", source_path="assets/icon.png")
    message = str(info.value)
    assert message.startswith("assets/icon.png: ") and shown in message and "512x512" in message
    assert "\n" not in message


@pytest.mark.parametrize("data", [b"", b"not an image", b"<svg xmlns='http://www.w3.org/2000/svg'/>",
                                  encode(Image.new("RGB", (600, 600)))[:200]],
                         ids=["empty", "text", "svg", "truncated"])
def test_unreadable_source_is_an_error(data: bytes) -> None:
    with pytest.raises(PipelineError) as info:
        render_icons(data, background="#fff", source_path="icon.svg")
    message = str(info.value)
    assert message.startswith("icon.svg: cannot read the PWA icon") and "\n" not in message


def test_fully_transparent_source_is_an_error() -> None:
    with pytest.raises(PipelineError, match="fully transparent"):
        render_icons(encode(Image.new("RGBA", (512, 512), (0, 0, 0, 0))), background="#fff")


def test_bad_background_is_an_error() -> None:
    with pytest.raises(PipelineError, match="background_color: 'nope' is not a colour"):
        render_icons(encode(logo()), background="nope")


def test_icon_entries_describe_separate_any_and_maskable_icons() -> None:
    assert [dict(e) for e in ICON_ENTRIES] == [
        {"src": "icons/icon-192.png", "sizes": "192x192", "type": "image/png", "purpose": "any"},
        {"src": "icons/icon-512.png", "sizes": "512x512", "type": "image/png", "purpose": "any"},
        {"src": "icons/maskable-512.png", "sizes": "512x512", "type": "image/png", "purpose": "maskable"},
    ]
    with pytest.raises(TypeError):
        ICON_ENTRIES[0]["src"] = "x"  # type: ignore[index]
    assert {e["src"] for e in ICON_ENTRIES} <= set(OUTPUT_NAMES)
    assert icons.APPLE_TOUCH_ICON in OUTPUT_NAMES and icons.FAVICON in OUTPUT_NAMES
