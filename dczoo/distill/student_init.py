"""Build a student corrector from a teacher and copy the teacher's weights into it.

What is copied (and tested in tests/distill/test_student_init.py):

* always: every row embedding table (`backbone.embedding`), the condenser
  (`backbone.condenser`) and the output head (`head`, kernel and bias);
* for each mapped pair (teacher layer t -> student layer s): all weights of
  the inner attention sublayer (query, key, value and output kernels) and of
  the inner feed-forward sublayer (both kernels and both biases);
* only when asked: the ReZero scalars (`attention_alpha`, `feedforward_alpha`)
  of mapped layers (`copy_rezero_alphas=True`) and the final LayerNorm
  (`copy_final_norm=True`).

By default the ReZero alphas and the final LayerNorm are *not* copied, as in
the reference (`init_student_from_teacher` copies inner layers only, so the
student's alphas start at 0 and its final norm at gamma 1, beta 0). We keep
that default so that results reproduce the paper's setup; note that with alphas
at 0 the student's encoder layers start switched off, and their copied weights
only shape the gradient until the alphas move.

Layer numbers in this API are 0-based; the paper's 1-based "alternating"
choice 1, 2, 4, 6 is `[0, 1, 3, 5]` here.
"""

import keras

from dczoo.errors import DczooInputError
from dczoo.models import DeepConsensusBackbone, DeepConsensusCorrector

STRATEGIES = ("alternating", "top", "bottom")


def layer_mapping(num_teacher_layers, num_student_layers, init="alternating"):
    """Teacher layer (0-based) that initialises each student layer.

    Strategies:
    * `"bottom"`: the first N teacher layers, `[0, 1, ..., N-1]`.
    * `"top"`: the last N teacher layers, `[L-N, ..., L-1]`.
    * `"alternating"`: every second layer counted down from the top
      (L-1, L-3, ...) until N are chosen, then the lowest unused layers; sorted.
      For 6 -> 4 that is `[0, 1, 3, 5]`, the paper's best (1, 2, 4, 6).
    * an explicit list of length N (entry s is the teacher layer for student
      layer s, or None to keep that student layer's fresh initialisation).

    Args:
        num_teacher_layers: int L.
        num_student_layers: int N.
        init: strategy name or explicit list.

    Returns:
        list of length N of teacher layer indices (or None).

    Example:
    >>> layer_mapping(6, 4, "alternating")
    [0, 1, 3, 5]
    """
    teacher_layers, student_layers = int(num_teacher_layers), int(num_student_layers)
    if student_layers < 1:
        raise DczooInputError(f"student_from_teacher: num_layers must be >= 1, got {student_layers}")
    if isinstance(init, str):
        if init not in STRATEGIES:
            raise DczooInputError(
                f"student_from_teacher: init must be one of {STRATEGIES} or a list, got {init!r}"
            )
        if student_layers > teacher_layers:
            raise DczooInputError(
                f"student_from_teacher: {init!r} needs num_layers <= {teacher_layers} "
                f"(the teacher's), got {student_layers}"
            )
        if init == "bottom":
            return list(range(student_layers))
        if init == "top":
            return list(range(teacher_layers - student_layers, teacher_layers))
        chosen = list(range(teacher_layers - 1, -1, -2))[:student_layers]
        unused = [t for t in range(teacher_layers) if t not in chosen]
        chosen += unused[: student_layers - len(chosen)]
        return sorted(chosen)
    mapping = list(init)
    if len(mapping) != student_layers:
        raise DczooInputError(
            f"student_from_teacher: explicit mapping {mapping} has {len(mapping)} entries "
            f"for a {student_layers}-layer student"
        )
    for teacher_index in mapping:
        if teacher_index is not None and not 0 <= int(teacher_index) < teacher_layers:
            raise DczooInputError(
                f"student_from_teacher: teacher layer {teacher_index} does not exist "
                f"(the teacher has layers 0..{teacher_layers - 1})"
            )
    return [None if t is None else int(t) for t in mapping]


def _copy_layer_weights(source, target, what):
    source_weights, target_weights = source.weights, target.weights
    shapes_source = [tuple(w.shape) for w in source_weights]
    shapes_target = [tuple(w.shape) for w in target_weights]
    if shapes_source != shapes_target:
        raise DczooInputError(
            f"student_from_teacher: cannot copy {what}: teacher shapes {shapes_source} "
            f"differ from student shapes {shapes_target}"
        )
    for src, dst in zip(source_weights, target_weights):
        # Through numpy, so the student never shares a buffer with the teacher
        # (JAX donates the student's buffers during training).
        dst.assign(keras.ops.convert_to_numpy(src))


def student_from_teacher(teacher, num_layers, init="alternating", copy_rezero_alphas=False,
                         copy_final_norm=False, name=None, **backbone_overrides):
    """A student corrector with fewer layers, initialised from `teacher`.

    The student has the teacher's architecture (read from its backbone
    config) with `num_layers` encoder layers; embeddings, condenser and head
    are copied, and mapped encoder layers get the teacher's attention and
    feed-forward weights (see the module docstring for the exact list).

    Args:
        teacher: `DeepConsensusCorrector`.
        num_layers: int. Student encoder layers.
        init: "alternating" (default, the paper's best), "top", "bottom", or an
            explicit list (see `layer_mapping`).
        copy_rezero_alphas: bool. Also copy mapped layers' ReZero alphas
            (default False, as the reference).
        copy_final_norm: bool. Also copy the final LayerNorm (default False).
        name: optional student model name (default `student_<N>layer`).
        **backbone_overrides: other backbone arguments to change, e.g. the
            reference student's `attention_dropout=0.1`. Shapes of copied
            weights must still match.

    Returns:
        `DeepConsensusCorrector`, with `student.layer_mapping` set to the
        teacher layer of each student layer.

    Example:
    >>> teacher = DeepConsensusCorrector.from_preset("teacher_6layer")
    >>> student = student_from_teacher(teacher, 4, init="alternating")
    >>> student.layer_mapping
    [0, 1, 3, 5]
    """
    if not isinstance(teacher, DeepConsensusCorrector):
        raise DczooInputError(
            f"student_from_teacher: teacher must be a DeepConsensusCorrector, got "
            f"{type(teacher).__name__}"
        )
    teacher_backbone = teacher.backbone
    mapping = layer_mapping(teacher_backbone.num_layers, num_layers, init)
    config = teacher_backbone.get_config()
    config.update(backbone_overrides)
    config["num_layers"] = int(num_layers)
    config.pop("name", None)
    config["trainable"] = True
    backbone = DeepConsensusBackbone.from_config(config)
    student = DeepConsensusCorrector(
        backbone,
        quality_calibration=teacher.quality_calibration,
        draft_quality_calibration=teacher.draft_quality_calibration,
        name=name or f"student_{int(num_layers)}layer",
    )

    _copy_layer_weights(teacher_backbone.embedding, backbone.embedding, "embeddings")
    _copy_layer_weights(teacher_backbone.condenser, backbone.condenser, "condenser")
    _copy_layer_weights(teacher.head, student.head, "head")
    if copy_final_norm:
        _copy_layer_weights(teacher_backbone.final_norm, backbone.final_norm, "final norm")
    for student_index, teacher_index in enumerate(mapping):
        if teacher_index is None:
            continue
        source = teacher_backbone.encoder_layers[teacher_index]
        target = backbone.encoder_layers[student_index]
        where = f"teacher layer {teacher_index} -> student layer {student_index}"
        _copy_layer_weights(source.attention, target.attention, f"attention of {where}")
        _copy_layer_weights(source.feedforward, target.feedforward, f"feed-forward of {where}")
        if copy_rezero_alphas:
            target.attention_alpha.assign(keras.ops.convert_to_numpy(source.attention_alpha))
            target.feedforward_alpha.assign(
                keras.ops.convert_to_numpy(source.feedforward_alpha))
    student.layer_mapping = mapping
    return student


def copied_weight_pairs(teacher, student, mapping=None, copy_rezero_alphas=False,
                        copy_final_norm=False):
    """(teacher variable, student variable) pairs that initialisation copies.

    Useful to check or report an initialisation; `mapping` defaults to
    `student.layer_mapping`.

    Returns:
        list of `(keras.Variable, keras.Variable)`.
    """
    mapping = student.layer_mapping if mapping is None else mapping
    t_backbone, s_backbone = teacher.backbone, student.backbone
    layer_pairs = [
        (t_backbone.embedding, s_backbone.embedding),
        (t_backbone.condenser, s_backbone.condenser),
        (teacher.head, student.head),
    ]
    if copy_final_norm:
        layer_pairs.append((t_backbone.final_norm, s_backbone.final_norm))
    pairs = []
    for student_index, teacher_index in enumerate(mapping):
        if teacher_index is None:
            continue
        source = t_backbone.encoder_layers[teacher_index]
        target = s_backbone.encoder_layers[student_index]
        layer_pairs += [(source.attention, target.attention),
                        (source.feedforward, target.feedforward)]
        if copy_rezero_alphas:
            pairs += [(source.attention_alpha, target.attention_alpha),
                      (source.feedforward_alpha, target.feedforward_alpha)]
    for source, target in layer_pairs:
        pairs += list(zip(source.weights, target.weights))
    return pairs

