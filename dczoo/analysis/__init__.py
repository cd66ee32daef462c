"""The paper's analyses: error profiles, per-example agreement, CKA."""

from dczoo.analysis.agreement import agreement, agreement_from_predictions
from dczoo.analysis.attention_distance import attention_distance
from dczoo.analysis.error_profile import error_profile, read_errors
from dczoo.analysis.linear_cka import linear_cka, linear_cka_score
from dczoo.analysis.truth_identity import identity_to_truth, load_truth
