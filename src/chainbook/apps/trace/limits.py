"""The trace module's bounds on what a client controls (unit last)."""

id_chars_max = 64
"""Characters of a product or item id (A-Z a-z 0-9 . _ -; 1 at least): a lot or serial
number as printed on the goods."""
name_bytes_max = 128
"""UTF-8 bytes of a product type's name (1 at least)."""
steps_max = 16
"""Required steps of one product type."""
step_chars_max = 32
"""Characters of a step or event kind (a-z 0-9 _; 1 at least): "shipped", "customs_cleared"."""
note_bytes_max = 256
"""UTF-8 bytes of an event's note (a place, a container, a document number; may be empty)."""
metadata_bytes_max = 1024
"""UTF-8 bytes of an item's metadata at creation (free text, typically JSON; may be empty)."""
quantity_max = 10**15
"""Units of one lot (a single item is 1)."""
entries_per_item_max = 256
"""History entries of one item (creation, hand-offs, events, splits, merges): what one item
costs the chain and a reader stays bounded whatever its holders do."""
parts_max = 16
"""Lots one split creates."""
merge_inputs_max = 16
"""Lots one merge takes (2 at least)."""
gaps_kept_max = 32
"""Gaps an item keeps with their details (its own and inherited from the lots it came from);
past that they are only counted (`gaps_total`), so the verdict still counts every one."""
history_page_entries_max = 32
"""Entries one `history` query answers (33 state keys: provable, at most 64)."""

LIMITS = {
    "id_chars_max": id_chars_max,
    "name_bytes_max": name_bytes_max,
    "steps_max": steps_max,
    "step_chars_max": step_chars_max,
    "note_bytes_max": note_bytes_max,
    "metadata_bytes_max": metadata_bytes_max,
    "quantity_max": quantity_max,
    "entries_per_item_max": entries_per_item_max,
    "parts_max": parts_max,
    "merge_inputs_max": merge_inputs_max,
    "gaps_kept_max": gaps_kept_max,
    "history_page_entries_max": history_page_entries_max,
}

__all__ = [
    "LIMITS",
    "entries_per_item_max",
    "gaps_kept_max",
    "history_page_entries_max",
    "id_chars_max",
    "merge_inputs_max",
    "metadata_bytes_max",
    "name_bytes_max",
    "note_bytes_max",
    "parts_max",
    "quantity_max",
    "step_chars_max",
    "steps_max",
]
