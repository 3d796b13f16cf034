"""Synthetic clips in the project's own arrays: a random athlete doing one activity, filmed by a random
camera, with MediaPipe-like visibility, noise, left/right swaps and dropouts.

`generate(activity, seed=...)` returns a `SynthClip` whose ``landmarks`` (N, 33, 5) and ``world`` (N, 33, 3)
follow `coach.pose.types` exactly (normalised image coordinates, y down; world metres centred between the
hips, x to the image's right, y down, z away from the camera), so they go through the same smoothing and
feature code as real poses. The same (activity, seed, fault, options) always gives the same clip.

Camera model: pinhole, horizontal field of view 45-80 degrees, landscape or portrait frame, placed at a
random yaw around the athlete (0 = in front, 90 = the athlete's left side), pitch (camera above or below
the athlete's centre, looking at it; a few clips from steeply above, 40-88 degrees, more for floor
exercises, half of which are then framed lengthways from the head or feet end in a portrait frame), small
roll, and at the distance that makes the athlete fill 40-90 % of the frame, with the athlete off-centre by
up to 10 % of the frame. Standing arm exercises (`Motion.upper_body`, catalogue or not) are more often
filmed from close.

Visibility model (what MediaPipe reports, roughly): the limbs on the side turned away from the camera get
low visibility (the far arm ~0-0.45 in a full side view, the far leg anywhere from that to ~0.7), while
the far shoulder and hip stay visible (as real side views show); the near side and the face towards the
camera ~0.9-1; landmarks outside the image get low visibility and presence. Occlusion: in some clips
the hands, the feet or one arm stay hidden (low visibility) throughout. Noise: per-landmark Gaussian
jitter of ~0.3-1 % of the body's image height (larger on the far side), plus occasional whole-pose
dropouts and left/right swap spans in side views.

Threads: pure; any thread.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

import numpy as np

from coach.analysis.track import PoseTrack
from coach.pose.landmarks import MIRROR_PERMUTATION, NUM_LANDMARKS
from coach.pose.landmarks import Landmark as L
from coach.synth.motions import FAULTS, MOTIONS
from coach.synth.skeleton import Body, sample_body

__all__ = ["ACTIVITY_LABELS", "CameraSpec", "SynthClip", "SynthOptions", "generate"]

ACTIVITY_LABELS: tuple[str, ...] = tuple(MOTIONS)

_LEFT_SIDE = np.array([("LEFT" in n) for n in L.__members__])
_RIGHT_SIDE = np.array([("RIGHT" in n) for n in L.__members__])
_FACE = np.arange(11)
_TRUNK = np.isin(np.arange(NUM_LANDMARKS), [int(i) for i in (L.LEFT_SHOULDER, L.RIGHT_SHOULDER, L.LEFT_HIP,
                                                           L.RIGHT_HIP)])  # fmt: skip
_LEGS = np.array([any(k in n for k in ("KNEE", "ANKLE", "HEEL", "FOOT")) for n in L.__members__])
# Done lying on the floor: filmed from above more often (a phone on a shelf or a tripod looking down).
_FLOOR_EXERCISES = frozenset({"pushup"})
_FEET = np.array([int(i) for i in (L.LEFT_ANKLE, L.RIGHT_ANKLE, L.LEFT_HEEL, L.RIGHT_HEEL,
                                   L.LEFT_FOOT_INDEX, L.RIGHT_FOOT_INDEX)])  # fmt: skip
_HANDS = [int(i) for i in (L.LEFT_WRIST, L.RIGHT_WRIST, L.LEFT_PINKY, L.RIGHT_PINKY, L.LEFT_INDEX,
                            L.RIGHT_INDEX, L.LEFT_THUMB, L.RIGHT_THUMB)]  # fmt: skip
_OCCLUDABLE = (
    np.array(_HANDS),
    _FEET,
    np.array([int(i) for i in (L.LEFT_ELBOW, L.LEFT_WRIST, L.LEFT_PINKY, L.LEFT_INDEX, L.LEFT_THUMB)]),
    np.array([int(i) for i in (L.RIGHT_ELBOW, L.RIGHT_WRIST, L.RIGHT_PINKY, L.RIGHT_INDEX, L.RIGHT_THUMB)]),
)


@dataclass(frozen=True, slots=True)
class CameraSpec:
    """The camera that filmed a synthetic clip (degrees and metres; yaw 0 = in front of the athlete)."""

    yaw_deg: float
    pitch_deg: float
    roll_deg: float
    distance_m: float
    fov_deg: float
    image_size: tuple[int, int]
    close_up: bool = False  # framed on the upper body, legs out of the image


@dataclass(frozen=True, slots=True)
class SynthOptions:
    """Ranges the generator draws from. Defaults give the training distribution."""

    duration_s: tuple[float, float] = (6.0, 10.0)
    fps_choices: tuple[float, ...] = (24.0, 25.0, 30.0, 30.0, 60.0)
    yaw_deg: tuple[float, float] = (-180.0, 180.0)
    pitch_deg: tuple[float, float] = (-15.0, 30.0)  # positive = camera above, looking down
    fill: tuple[float, float] = (0.4, 0.9)
    noise: tuple[float, float] = (0.002, 0.008)  # jitter sd as a share of the body's image height
    dropout_rate: float = 0.3  # probability of one whole-pose dropout span in a clip
    swap_rate: float = 0.3  # probability of a left/right swap span (side views only)
    fault_severity: tuple[float, float] = (0.3, 1.0)
    close_up_rate: float = 0.1  # share of clips framed on the upper body (legs out of the image)
    # Standing arm exercises (catalogue or not, see `Motion.upper_body`) are filmed from close more often
    # (a phone propped in front).
    close_up_rate_arms: float = 0.3
    # Share of clips filmed from steeply above (a phone on a shelf, a camera looking down the back of a
    # push-up): every activity gets them, so a steep view alone says nothing about the movement.
    occlusion_rate: float = 0.15  # share of clips with the hands, the feet or one arm hidden throughout
    high_view_rate: float = 0.1
    high_view_rate_floor: float = 0.25  # floor exercises (push-ups) are filmed from above more often
    along_body_rate: float = 0.5  # share of those high floor views framed lengthways (head or feet end)
    high_pitch_deg: tuple[float, float] = (40.0, 88.0)


@dataclass(frozen=True, slots=True)
class SynthClip:
    """One generated clip and its truth."""

    activity: str
    fault: str | None
    severity: float  # 0..1, 0 when no fault
    fps: float
    media_ts: np.ndarray  # (N,) seconds
    landmarks: np.ndarray  # (N, 33, 5) float32, `coach.pose.types` layout
    world: np.ndarray  # (N, 33, 3) float32
    body_points: np.ndarray  # (N, 33, 3) noiseless body-frame truth (y up, ground 0)
    phase: np.ndarray  # (N,) rep phase (0 rest .. 1 turn) or stride phase
    spans: tuple[tuple[int, int], ...]  # frames of each complete rep / stride
    camera: CameraSpec
    body: Body
    seed: int
    extra: dict[str, float] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.media_ts)

    def to_track(self) -> PoseTrack:
        return PoseTrack(
            frame_index=np.arange(len(self), dtype=np.int64),
            media_ts=self.media_ts,
            landmarks=self.landmarks,
            world=self.world,
            image_size=self.camera.image_size,
        )


def _rotation(yaw: float, pitch: float, roll: float) -> np.ndarray:
    """Rows = camera axes (x right, y down, z forward) in body coordinates, for a camera at `yaw` around the
    athlete looking back at it, tilted down by `pitch`, rolled by `roll` (radians)."""
    # Looking direction from the camera towards the athlete: minus the camera's direction from the athlete,
    # which points up (+y) when the camera is above. (Before version 3 of the models the sign of this y
    # was wrong and a "camera above" was below the athlete, looking up.)
    fwd = -np.array([np.sin(yaw) * np.cos(pitch), np.sin(pitch), np.cos(yaw) * np.cos(pitch)])
    fwd /= np.linalg.norm(fwd)
    right = np.cross(fwd, np.array([0.0, 1.0, 0.0]))
    right /= np.linalg.norm(right)
    down = np.cross(fwd, right)
    c, s = np.cos(roll), np.sin(roll)
    right, down = c * right + s * down, -s * right + c * down
    return np.stack([right, down, fwd])


def _seed_for(activity: str, seed: int, fault: str | None) -> int:
    # A stable hash (not Python's salted hash) so a seed means the same clip in every process.
    return zlib.crc32(f"{activity}|{fault}|{seed}".encode())


def generate(
    activity: str,
    *,
    seed: int,
    fault: str | None = None,
    options: SynthOptions | None = None,
    duration_s: float | None = None,
    camera_yaw_deg: float | None = None,
    clean: bool = False,
) -> SynthClip:
    """Generate one clip of `activity` (one of `ACTIVITY_LABELS`) with an optional `fault` from
    ``FAULTS[activity]``. `camera_yaw_deg` fixes the viewpoint; `clean` turns off noise, dropouts and swaps
    (visibility still follows the view), close-ups and steep high views."""
    if activity not in MOTIONS:
        raise ValueError(f"unknown activity {activity!r}; known: {', '.join(MOTIONS)}")
    if fault is not None and fault not in FAULTS[activity]:
        raise ValueError(f"fault {fault!r} does not apply to {activity}; choose from {FAULTS[activity]}")
    opt = options or SynthOptions()
    rng = np.random.default_rng(_seed_for(activity, seed, fault))
    fps = float(rng.choice(opt.fps_choices))
    dur = duration_s if duration_s is not None else float(rng.uniform(*opt.duration_s))
    n = max(2, int(round(dur * fps)))
    body = sample_body(rng)
    severity = float(rng.uniform(*opt.fault_severity)) if fault else 0.0
    motion = MOTIONS[activity](rng, n, fps, body, fault, severity)
    pts = motion.points

    # Camera.
    landscape = rng.random() < 0.6
    image_size = (1280, 720) if landscape else (720, 1280)
    w, h = image_size
    yaw = np.radians(camera_yaw_deg if camera_yaw_deg is not None else rng.uniform(*opt.yaw_deg))
    pitch = np.radians(rng.uniform(*opt.pitch_deg))
    high_rate = opt.high_view_rate_floor if activity in _FLOOR_EXERCISES else opt.high_view_rate
    high_view = rng.random() < high_rate and not clean
    if high_view:
        pitch = np.radians(rng.uniform(*opt.high_pitch_deg))
        if activity in _FLOOR_EXERCISES and camera_yaw_deg is None and rng.random() < opt.along_body_rate:
            # Filming a body lying on the floor from above, people frame it lengthways: the camera at the
            # head or the feet end and a portrait frame, so the body runs along the image's long side
            # (with a uniform yaw that view, head up or down the image, was rare).
            yaw = np.radians(float(rng.choice((0.0, 180.0))) + rng.normal(0.0, 12.0))
            image_size = (720, 1280)
            w, h = image_size
    roll = np.radians(rng.normal(0, 2.0))
    fov = np.radians(rng.uniform(45, 80))
    f = 0.5 * w / np.tan(0.5 * fov)
    rot = _rotation(yaw, pitch, roll)
    centre = 0.5 * (pts.reshape(-1, 3).max(axis=0) + pts.reshape(-1, 3).min(axis=0))
    ortho = (pts - centre) @ rot.T  # camera-aligned, before perspective
    ext_x = np.ptp(ortho[..., 0])
    ext_y = np.ptp(ortho[..., 1])
    fill = rng.uniform(*opt.fill)
    dist = f * max(ext_x / (fill * w), ext_y / (fill * h)) + 0.5 * np.ptp(ortho[..., 2])
    rate = opt.close_up_rate_arms if motion.upper_body else opt.close_up_rate
    # A close-up is a phone propped near the athlete at about trunk height, not one looking down.
    close_up = bool(rng.random() < rate) and not clean and not high_view
    if close_up:
        # Close-up framing (phone propped near the athlete): aim at the trunk from ~50 % of the distance,
        # so the legs leave the image and come back with low visibility, as on real close-up clips.
        upper = (
            pts[:, [L.LEFT_SHOULDER, L.RIGHT_SHOULDER, L.LEFT_HIP, L.RIGHT_HIP]].reshape(-1, 3).mean(axis=0)
        )
        ortho = ortho - (upper - centre) @ rot.T
        dist *= float(rng.uniform(0.4, 0.6))
    offset = np.array([rng.uniform(-0.1, 0.1) * w, rng.uniform(-0.1, 0.1) * h])
    cam = ortho + np.array([0.0, 0.0, dist])
    u = f * cam[..., 0] / cam[..., 2] + 0.5 * w + offset[0]
    v = f * cam[..., 1] / cam[..., 2] + 0.5 * h + offset[1]

    # World landmarks: camera-aligned axes, origin between the hips (MediaPipe's convention).
    mid_hip = 0.5 * (cam[:, L.LEFT_HIP] + cam[:, L.RIGHT_HIP])
    world = cam - mid_hip[:, None, :]
    # MediaPipe's z: depth relative to the hips, roughly in the units of x (normalised by width).
    z_rel = (cam[..., 2] - mid_hip[:, None, 2]) * f / (dist * w)

    # Visibility: the side further from the camera (by shoulder and hip depth) is partly occluded.
    depth_lr = cam[:, [L.LEFT_SHOULDER, L.LEFT_HIP], 2].mean(axis=1) - cam[
        :, [L.RIGHT_SHOULDER, L.RIGHT_HIP], 2
    ].mean(axis=1)
    body_w = 2 * max(body.shoulder_half, body.hip_half)
    side_turn = np.clip(depth_lr / body_w, -1, 1)  # > 0: the left side is further away
    vis = np.full((n, NUM_LANDMARKS), 0.97)
    vis -= 0.03 * rng.random((n, NUM_LANDMARKS))
    # Real side views lose the far side's limbs to the smoother's visibility gate; so do these. MediaPipe
    # keeps the far shoulder and hip (right behind the near ones) at visibility ~1 (every real side-view
    # clip in the pose cache: median 0.93-1.0), reads the far arm at ~0.03-0.5 and the far leg anywhere
    # from ~0.1 (a static stance) to ~0.9 (a stride, where the legs pass each other).
    leg_loss = rng.uniform(0.3, 1.25)
    for side_mask, turn in ((_LEFT_SIDE, side_turn), (_RIGHT_SIDE, -side_turn)):
        loss = 0.75 * np.clip(turn, 0, 1)[:, None] * rng.uniform(0.7, 1.25)
        cols = side_mask & ~_TRUNK
        vis[:, cols] -= loss * np.where(_LEGS[cols], leg_loss, 1.0)
    # Facing away from the camera: the face is hidden.
    # Only when the face clearly points away (nose well behind the ears), not in side views where the
    # nose and ears are at nearly the same depth.
    facing = (cam[:, L.NOSE, 2] - 0.5 * (cam[:, L.LEFT_EAR, 2] + cam[:, L.RIGHT_EAR, 2])) > 0.05
    vis[np.ix_(facing, _FACE)] -= 0.5
    inside = (u >= 0) & (u <= w) & (v >= 0) & (v <= h)
    presence = np.where(inside, 0.99, 0.15)
    vis = np.where(inside, vis, np.minimum(vis, 0.1))
    if rng.random() < opt.occlusion_rate and not clean:
        # Something hides one part of the body for the whole clip (a barbell and plates over the hands,
        # a bench over the feet, a tight crop): the pose model reports it with low visibility.
        group = _OCCLUDABLE[int(rng.integers(len(_OCCLUDABLE)))]
        vis[:, group] = np.minimum(vis[:, group], rng.uniform(0.02, 0.3))
    vis = np.clip(vis, 0.01, 0.999)

    lm = np.empty((n, NUM_LANDMARKS, 5))
    lm[..., 0], lm[..., 1], lm[..., 2] = u / w, v / h, z_rel
    lm[..., 3], lm[..., 4] = vis, presence
    if not clean:
        body_px = np.ptp(v, axis=1).mean()
        sd = rng.uniform(*opt.noise) * body_px
        far = 1.0 + 2.0 * (vis < 0.6)
        # Feet are MediaPipe's least stable landmarks: ankles, heels and toes jitter about twice as much.
        far[:, _FEET] *= 2.0
        lm[..., 0] += rng.normal(0, 1, (n, NUM_LANDMARKS)) * sd * far / w
        lm[..., 1] += rng.normal(0, 1, (n, NUM_LANDMARKS)) * sd * far / h
        world = world + rng.normal(0, 0.012, world.shape) * np.array([1.0, 1.0, 2.5])
        perm = np.array(MIRROR_PERMUTATION)
        if rng.random() < opt.swap_rate and np.abs(side_turn).mean() > 0.5:
            a = int(rng.integers(0, n))
            b = min(n, a + int(rng.integers(3, max(4, n // 4))))
            lm[a:b], world[a:b] = lm[a:b][:, perm], world[a:b][:, perm]
        if rng.random() < opt.dropout_rate:
            a = int(rng.integers(0, n))
            b = min(n, a + int(rng.integers(1, max(2, int(0.5 * fps)))))
            lm[a:b] = np.nan
            world[a:b] = np.nan
    return SynthClip(
        activity=activity,
        fault=fault,
        severity=severity,
        fps=fps,
        media_ts=np.arange(n) / fps,
        landmarks=lm.astype(np.float32),
        world=world.astype(np.float32),
        body_points=pts,
        phase=motion.phase,
        spans=motion.spans,
        camera=CameraSpec(
            yaw_deg=float(np.degrees(yaw)),
            pitch_deg=float(np.degrees(pitch)),
            roll_deg=float(np.degrees(roll)),
            distance_m=float(dist),
            fov_deg=float(np.degrees(fov)),
            image_size=image_size,
            close_up=close_up,
        ),
        body=body,
        seed=seed,
    )
