"""dczoo.hub: publishing presets to the Hugging Face Hub.

`upload_preset` uploads a preset with a generated model card;
`render_model_card` and `validate_model_card` build and check the card;
`stage_upload_folder` writes the exact folder an upload would send.
"""

from dczoo.hub.card_metadata import validate_model_card
from dczoo.hub.model_card import render_model_card
from dczoo.hub.upload import stage_upload_folder, upload_preset
