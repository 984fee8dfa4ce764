"""Python twins of the cases in interpolate.parity.test.ts, with F.interpolate."""
from torch.nn import functional as F

from reference import case


@case("interpolate.1d")
def one(x):
    return {"nearest": F.interpolate(x, scale_factor=2), "nearest_size": F.interpolate(x, size=7),
            "exact": F.interpolate(x, size=[8], mode="nearest-exact"), "linear": F.interpolate(x, scale_factor=1.7, mode="linear"),
            "aligned": F.interpolate(x, size=9, mode="linear", align_corners=True), "area": F.interpolate(x, size=3, mode="area"),
            "area_scale": F.interpolate(x, scale_factor=0.5, mode="area")}


@case("interpolate.2d")
def two(x):
    return {"nearest": F.interpolate(x, scale_factor=[2, 1.5]), "bilinear": F.interpolate(x, size=[9, 4], mode="bilinear"),
            "aligned": F.interpolate(x, scale_factor=1.3, mode="bilinear", align_corners=True),
            "recompute": F.interpolate(x, scale_factor=1.3, mode="bilinear", recompute_scale_factor=True),
            "bicubic": F.interpolate(x, size=[8, 8], mode="bicubic"),
            "bicubic_aligned": F.interpolate(x, scale_factor=2, mode="bicubic", align_corners=True),
            "antialias": F.interpolate(x, size=[3, 2], mode="bilinear", antialias=True),
            "bicubic_aa": F.interpolate(x, size=[4, 3], mode="bicubic", antialias=True),
            "area": F.interpolate(x, size=[4, 3], mode="area"), "exact": F.interpolate(x, scale_factor=0.7, mode="nearest-exact")}


@case("interpolate.3d")
def three(x):
    return {"nearest": F.interpolate(x, size=[5, 5, 4]), "trilinear": F.interpolate(x, scale_factor=1.5, mode="trilinear"),
            "aligned": F.interpolate(x, size=6, mode="trilinear", align_corners=True), "area": F.interpolate(x, size=[2, 2, 2], mode="area")}
