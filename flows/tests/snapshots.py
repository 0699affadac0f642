"""Snapshot builders for engine tests: scripts written as plain data, no database."""

import itertools

from flows.engine import FlowSnapshot, MessageStep, SubflowSnapshot, TemplateSnapshot

_ids = itertools.count(1000)


def msg(text, *, order=None, wait=False, file=False, types=(), delay=0, save="", action="", id=None, subflow_id=0):
    return MessageStep(
        id=id or next(_ids),
        subflow_id=subflow_id,
        order_index=order if order is not None else -1,  # -1: numbered by sub()
        text=text,
        wait_for_response=wait,
        wait_for_file=file,
        expected_file_types=tuple(types),
        delay_seconds=delay,
        save_reply_as=save,
        action=action,
    )


def sub(name, *messages, keywords=(), parent=None, order=0, id=None, flow_id=0):
    subflow_id = id or next(_ids)
    steps = tuple(
        MessageStep(
            **{**m.__dict__, "subflow_id": subflow_id, "order_index": i if m.order_index == -1 else m.order_index}
        )
        for i, m in enumerate(messages, start=1)
    )
    return SubflowSnapshot(
        id=subflow_id,
        flow_id=flow_id,
        name=name,
        order_index=order,
        trigger_keywords=tuple(keywords),
        parent_subflow_id=parent,
        messages=steps,
    )


def flow(name, *subflows, default=False, order=0, id=None):
    flow_id = id or next(_ids)
    return FlowSnapshot(
        id=flow_id,
        name=name,
        is_default=default,
        order_index=order,
        subflows=tuple(SubflowSnapshot(**{**s.__dict__, "flow_id": flow_id}) for s in subflows),
    )


def template(*flows, id=1):
    return TemplateSnapshot(id=id, flows=tuple(flows))
