"""Dense: plain fine-tuning of the pre-trained model; a mask, if given, is ignored."""

from pipeline.finetune.modes.base import TransferMode


class Dense(TransferMode):
    name = "dense"
    label = "dense transfer"  # how figures name it
    uses_mask = False
    description = "plain fine-tuning of the pre-trained model"
