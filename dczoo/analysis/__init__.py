"""The paper's analyses: error profiles, per-example agreement, CKA."""

from dczoo.analysis.attention_distance import attention_distance
from dczoo.analysis.error_profile import error_profile
from dczoo.analysis.error_profile import read_errors
from dczoo.analysis.linear_cka import linear_cka
from dczoo.analysis.linear_cka import linear_cka_score
from dczoo.analysis.truth_identity import identity_to_truth
from dczoo.analysis.truth_identity import load_truth
from dczoo.analysis.agreement import agreement
from dczoo.analysis.agreement import agreement_from_predictions
