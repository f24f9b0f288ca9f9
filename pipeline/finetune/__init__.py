"""Fine-tuning: one protocol per cell, shared by every transfer mode."""
