"""Upload inspection speed on a phone-sized photo.

    .venv/bin/python bench/bench_imaging.py [--runs 20] [--width 4000] [--height 3000]

Generates one 12-megapixel JPEG (quality 90) into a temporary folder: smooth random scenery
plus sensor-like noise, so it weighs what a phone photo weighs (~4-5 MB) instead of
compressing to nothing. Then times `inspect_image` on it --runs times (after one warm-up that
loads the face cascade), and separately the Haar pass alone on the downscaled grayscale copy
the inspection hands to it. Prints a human summary on stderr and one JSON line on stdout.
"""

import argparse
import io
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from service.imaging import _face_view, detect_faces, inspect_image


def phone_like_jpeg(width: int, height: int, seed: int = 12) -> bytes:
    rng = np.random.default_rng(seed)
    scenery = Image.fromarray(rng.integers(0, 256, (height // 100, width // 100, 3), np.uint8))
    smooth = np.asarray(scenery.resize((width, height), Image.Resampling.BICUBIC), np.float32)
    noisy = smooth + rng.normal(0, 10, (height, width, 3)).astype(np.float32)
    out = io.BytesIO()
    Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8)).save(out, "JPEG", quality=90)
    return out.getvalue()


def samples_ms(function: Callable[[], object], runs: int) -> list[float]:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def summary(samples: list[float]) -> dict[str, float]:
    return {
        "min_ms": round(min(samples), 1),
        "median_ms": round(statistics.median(samples), 1),
        "max_ms": round(max(samples), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--width", type=int, default=4000)
    parser.add_argument("--height", type=int, default=3000)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "phone.jpg"
        path.write_bytes(phone_like_jpeg(args.width, args.height))
        data = path.read_bytes()

    result = inspect_image(data, filename="phone.jpg")  # warm-up: loads the cascade
    inspect = summary(samples_ms(lambda: inspect_image(data, filename="phone.jpg"), args.runs))

    decoded = Image.open(io.BytesIO(data))
    decoded.load()
    gray = _face_view(decoded)
    haar = summary(samples_ms(lambda: detect_faces(gray), args.runs))

    report = {
        "bench": "imaging",
        "image": f"{args.width}x{args.height} JPEG q90",
        "bytes": len(data),
        "publishable_bytes": len(result.publishable),
        "faces": result.faces,
        "runs": args.runs,
        "inspect": inspect,
        "haar_input": f"{gray.shape[1]}x{gray.shape[0]}",
        "haar": haar,
        "cv2_threads": cv2.getNumThreads(),
    }
    print(
        f"{report['image']}, {len(data) / 1e6:.1f} MB, {result.faces} faces, {args.runs} runs\n"
        f"  inspect_image   min {inspect['min_ms']:7.1f}  median {inspect['median_ms']:7.1f}"
        f"  max {inspect['max_ms']:7.1f} ms\n"
        f"  Haar pass at {report['haar_input']:>9}  min {haar['min_ms']:6.1f}"
        f"  median {haar['median_ms']:6.1f}  max {haar['max_ms']:6.1f} ms",
        file=sys.stderr,
    )
    print(json.dumps(report))


if __name__ == "__main__":
    main()
