"""The royalty module's spec vectors (tests/apps/spec.py gives the format)."""

from __future__ import annotations

from typing import Any

from chainbook.apps.royalty import ChangeSplit, Pay, Price, SetPrices, Share
from tests.apps.royalty.helpers import (
    AUTHOR,
    COURT,
    LABEL,
    LABEL2,
    LISTENER,
    OTHER_LABEL,
    PRODUCER,
    SINGER,
    SONG,
    STRANGER,
    TOKEN,
    make_ledger,
    song,
)
from tests.apps.spec import MakeVector
from tests.support import signed

RESPLIT = [Share(AUTHOR.address, 4_000), Share(PRODUCER.address, 3_000),
           Share(SINGER.address, 3_000)]


def build_vectors(make_vector: MakeVector) -> list[dict[str, Any]]:
    cosigners = [SINGER.address, AUTHOR.address]
    return [
        make_vector(
            "song_paid_and_resplit",
            "Sunrise Records registers a song split author 50 % / producer 30 % / singer 20 %"
            " (download 100, licence 50,000 of the native coin); the listener pays 3"
            " downloads (150/90/60); the stranger pays licence LIC-1, and again (refused:"
            " reference used); the singer alone moves 10 % from the author to herself"
            " (refused: the author did not sign); the singer with the author's co-signature"
            " (done: version 1); the listener pays 1 download (40/30/30); a change naming"
            " version 0 again is refused (stale).",
            make_ledger(),
            [
                signed(LABEL, 0, song()),
                signed(LISTENER, 0, Pay(SONG, "download", 3, 300)),
                signed(STRANGER, 0, Pay(SONG, "licence", 1, 50_000, "LIC-1")),
                signed(STRANGER, 1, Pay(SONG, "licence", 1, 50_000, "LIC-1")),
                signed(SINGER, 0, ChangeSplit(SONG, 0, RESPLIT)),
                signed([SINGER, AUTHOR], 1, ChangeSplit(SONG, 0, RESPLIT), accounts=cosigners),
                signed(LISTENER, 1, Pay(SONG, "download", 1, 100)),
                signed(AUTHOR, 0, ChangeSplit(SONG, 0, RESPLIT)),
            ],
        ),
        make_vector(
            "who_registers_and_prices",
            "An account with no institution and a court cannot register (not a rights"
            " manager); the label registers a song priced in the issued token MUSX; a second"
            " registration of the id is refused; another label cannot set its prices, the"
            " label's second key does; a payment at the old price is refused, one at the new"
            " price pays the holders in MUSX.",
            make_ledger(),
            [
                signed(STRANGER, 0, song()),
                signed(COURT, 0, song()),
                signed(LABEL, 0, song(token=TOKEN)),
                signed(OTHER_LABEL, 0, song()),
                signed(OTHER_LABEL, 1, SetPrices(SONG, [Price("download", 1)])),
                signed(LABEL2, 0, SetPrices(SONG, [Price("download", 120)])),
                signed(LISTENER, 0, Pay(SONG, "download", 1, 100)),
                signed(LISTENER, 1, Pay(SONG, "download", 1, 120)),
            ],
        ),
    ]
