"""A small SMSC on smpp34's ``Server``, run as its own process by the SMPP tests.

    python -m tests.smsc.smpp34_smsc --port P [--ids dec|hex|mixed] [--text-only]

It writes one JSON line per event to stdout (``listening``, ``bound``, ``submit``,
``unbound``, ``deliver_sm_resp``) and reads JSON commands from stdin (``{"cmd": "mo", ...}``).
What it does with a submit_sm depends on the destination's last four digits:

    0001 reject ESME_RINVDSTADR       0002 ESME_RTHROTTLED twice, then accept
    0003 receipt before submit_sm_resp 0004 accept, receipt UNDELIV err:001
    0005 answer after 3 s (slow)       0006 accept, no receipt
    0007 ESME_RSYSERR once, then accept 0008 accept, receipt ENROUTE, then DELIVRD
    else accept, receipt DELIVRD (TLVs receipted_message_id + message_state unless --text-only)

``--ids mixed`` answers hex ids in submit_sm_resp and puts them in decimal in the receipts.
A receipt or MO ``deliver_sm`` is delivered again until an ESME answers it with ESME_ROK
(``deliver_sm_error`` when it went unanswered), as an SMSC does.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import smpp34
from smpp34 import _smpp34 as codes  # the ESME_* and TLV_* constants, typed

QUIET = {"submit", "accepted", "deliver_sm_resp"}
#: deliver_sm answered with these goes again (ESME_RMSGQFUL, ESME_RSYSERR, ESME_RTHROTTLED,
#: ESME_RX_T_APPN); so does one left unanswered.
TEMPORARY = {0x14, 0x08, 0x58, 0x64}
REDELIVER_SECONDS = 120
quiet = False


def emit(event: str, **fields: Any) -> None:
    if quiet and event in QUIET:
        return
    sys.stdout.write(json.dumps({"event": event, **fields}) + "\n")
    sys.stdout.flush()


class Smsc:
    def __init__(self, ids: str, text_only: bool, first_id: int = 1_000_000) -> None:
        self.first_id = first_id
        self.ids = ids
        self.text_only = text_only
        self.sessions: dict[str, smpp34.Esme] = {}
        self.count = 0
        self.seen: Counter[str] = Counter()
        self.tasks: set[asyncio.Task[None]] = set()

    def spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def new_ids(self) -> tuple[str, str]:
        self.count += 1
        n = self.first_id + self.count
        if self.ids == "hex":
            return format(n, "X"), format(n, "X")
        if self.ids == "mixed":
            return format(n, "X"), str(n)
        return str(n), str(n)

    def receiver(self, session_id: str) -> smpp34.Esme | None:
        esme = self.sessions.get(session_id)
        if esme is not None and esme.can_receive:
            return esme
        return next((e for e in self.sessions.values() if e.can_receive), None)

    async def receipt(self, ev: smpp34.SubmitSmEvent, dlr_id: str, stat: str, err: str) -> None:
        text = (
            f"id:{dlr_id} sub:001 dlvrd:{'001' if stat == 'DELIVRD' else '000'} "
            f"submit date:2612041200 done date:2612041200 stat:{stat} err:{err} text:hello"
        ).encode()
        state = {"ENROUTE": 1, "DELIVRD": 2, "UNDELIV": 5}[stat]
        tlvs = (
            []
            if self.text_only
            else [
                smpp34.Tlv(codes.TLV_RECEIPTED_MESSAGE_ID, dlr_id.encode() + b"\0"),
                smpp34.Tlv(codes.TLV_MESSAGE_STATE, bytes([state])),
            ]
        )
        await self.deliver(
            lambda: self.receiver(ev.session_id),
            {"kind": "receipt", "id": dlr_id},
            ev.source_addr,
            text,
            source_addr=ev.destination_addr,
            esm_class=0x04,
            tlvs=tlvs,
        )

    async def deliver(
        self, pick: Callable[[], smpp34.Esme | None], fields: dict[str, Any], *args: Any, **kw: Any
    ) -> None:
        """deliver_sm until an ESME answers it with ESME_ROK, as an SMSC does: a PDU left
        unanswered (the session died) or answered with a temporary error goes again, on
        whichever session can receive it then."""
        deadline = time.monotonic() + REDELIVER_SECONDS
        while time.monotonic() < deadline:
            esme = pick()
            if esme is None:
                await asyncio.sleep(0.05)
                continue
            try:
                resp = await esme.deliver_sm(*args, **kw)
            except Exception as exc:
                emit("deliver_sm_error", error=str(exc), **fields)
                await asyncio.sleep(0.2)
                continue
            emit("deliver_sm_resp", status=resp.command_status, **fields)
            if resp.command_status not in TEMPORARY:
                return
            await asyncio.sleep(0.2)
        emit("deliver_sm_abandoned", **fields)

    def emit_submit(self, ev: smpp34.SubmitSmEvent) -> None:
        dest = ev.destination_addr
        emit(
            "submit",
            dest=dest,
            source=ev.source_addr,
            source_ton=ev.source_addr_ton,
            dest_ton=ev.dest_addr_ton,
            esm_class=ev.esm_class,
            data_coding=ev.data_coding,
            registered_delivery=ev.registered_delivery,
            short_message=bytes(ev.short_message).hex(),
            tlvs={str(t.tag): bytes(t.value).hex() for t in ev.tlvs},
            attempt=self.seen[dest],
        )

    async def submit(self, ev: smpp34.SubmitSmEvent) -> None:
        dest = ev.destination_addr
        tail = dest[-4:]
        self.seen[dest] += 1
        if not quiet:  # a benchmark's SMSC spells no event per submit
            self.emit_submit(ev)
        if tail == "0001":
            ev.reject(codes.ESME_RINVDSTADR)
            return
        if tail == "0002" and self.seen[dest] <= 2:
            ev.reject(codes.ESME_RTHROTTLED)
            return
        if tail == "0007" and self.seen[dest] <= 1:
            ev.reject(codes.ESME_RSYSERR)
            return
        resp_id, dlr_id = self.new_ids()
        if tail == "0003":
            await self.receipt(ev, dlr_id, "DELIVRD", "000")
            ev.accept(resp_id)
            emit("accepted", id=resp_id)
            return
        if tail == "0005":
            await asyncio.sleep(3)
        ev.accept(resp_id)
        emit("accepted", id=resp_id)
        if tail == "0006":
            return
        if tail == "0008":  # an intermediate (not final) receipt first
            await self.receipt(ev, dlr_id, "ENROUTE", "000")
        stat, err = ("UNDELIV", "001") if tail == "0004" else ("DELIVRD", "000")
        await self.receipt(ev, dlr_id, stat, err)

    async def mo(self, cmd: dict[str, Any]) -> None:
        """An MO message, split into ``parts`` (UDH or SAR), sent in ``order``, spread over
        the bound sessions when ``spread``."""
        text: str = cmd["text"]
        ucs2 = cmd.get("coding") == "ucs2"
        data = text.encode("utf-16-be") if ucs2 else text.encode("ascii")
        parts = int(cmd.get("parts", 1))
        size = -(-len(data) // parts)
        if ucs2 and size % 2:
            size += 1
        chunks = [data[i : i + size] for i in range(0, len(data), size)]
        ref = int(cmd.get("ref", 42))
        pdus = []
        for seq, chunk in enumerate(chunks, start=1):
            esm, tlvs, body = 0, [], chunk
            if len(chunks) > 1 and cmd.get("mode", "udh") == "udh":
                esm, body = 0x40, bytes([5, 0, 3, ref & 0xFF, len(chunks), seq]) + chunk
            elif len(chunks) > 1:
                tlvs = [
                    smpp34.Tlv(codes.TLV_SAR_MSG_REF_NUM, ref.to_bytes(2, "big")),
                    smpp34.Tlv(codes.TLV_SAR_TOTAL_SEGMENTS, bytes([len(chunks)])),
                    smpp34.Tlv(codes.TLV_SAR_SEGMENT_SEQNUM, bytes([seq])),
                ]
            pdus.append((seq, esm, tlvs, body))
        if cmd.get("order") == "reverse":
            pdus.reverse()
        for index, (seq, esm, tlvs, body) in enumerate(pdus):

            def pick(index: int = index) -> smpp34.Esme | None:
                receivers = [e for e in self.sessions.values() if e.can_receive]
                if not receivers:
                    return None
                return receivers[index % len(receivers)] if cmd.get("spread") else receivers[0]

            await self.deliver(
                pick,
                {"kind": "mo", "seq": seq, "text": text},
                cmd["to"].lstrip("+"),
                body,
                source_addr=cmd["from"].lstrip("+"),
                source_addr_ton=1,
                source_addr_npi=1,
                dest_addr_ton=1,
                dest_addr_npi=1,
                esm_class=esm,
                data_coding=8 if ucs2 else 0,
                tlvs=tlvs,
            )

    async def commands(self) -> None:
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader()
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
        while line := await reader.readline():
            cmd = json.loads(line)
            if cmd["cmd"] == "mo":
                self.spawn(self.mo(cmd))
            elif cmd["cmd"] == "count":
                emit("count", submits=sum(self.seen.values()), accepted=self.count)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--ids", choices=["dec", "hex", "mixed"], default="dec")
    parser.add_argument("--text-only", action="store_true")
    parser.add_argument(
        "--first-id", type=int, default=1_000_000, help="message ids count up from here"
    )
    parser.add_argument("--quiet", action="store_true", help="no per-message events (bench)")
    args = parser.parse_args()
    global quiet
    quiet = args.quiet
    smsc = Smsc(args.ids, args.text_only, args.first_id)
    server = smpp34.Server(
        host="127.0.0.1", port=args.port, system_id="TestSMSC", inbound_capacity=100_000
    )
    await server.start()
    emit("listening", port=args.port)
    smsc.spawn(smsc.commands())
    while True:
        ev = await server.next()
        if isinstance(ev, smpp34.Esme):
            smsc.sessions[ev.session_id] = ev
            emit("bound", session=ev.session_id, system_id=ev.system_id)
        elif isinstance(ev, smpp34.SubmitSmEvent):
            smsc.spawn(smsc.submit(ev))
        elif isinstance(ev, smpp34.Unbound):
            smsc.sessions.pop(ev.session_id, None)
            emit("unbound", session=ev.session_id)


if __name__ == "__main__":
    asyncio.run(main())
