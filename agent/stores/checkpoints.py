"""The SQLite checkpointer, bounded: each thread keeps only its newest checkpoint.

LangGraph saves a checkpoint after every step (about six per turn), each holding the whole state,
and keeps them all: a thread's storage grows with the square of its turns. opsbot never goes back
in a thread's history (a resumed run continues from the newest checkpoint and its pending writes),
so once a newer checkpoint is saved the older ones and their writes are deleted. The state itself
stays bounded because the graph forgets messages older than ``history_turns`` turns (the thread
memory keeps what they were about; see ``agent.memory.older_messages``).

Imported only when a checkpointer is opened: it imports LangGraph.
"""

from __future__ import annotations

from typing import Any

from langgraph.checkpoint.sqlite import SqliteSaver


class PrunedSqliteSaver(SqliteSaver):
    """``SqliteSaver`` that deletes a thread's older checkpoints (and their writes) as it saves a new one."""

    def put(self, config: Any, checkpoint: Any, metadata: Any, new_versions: Any) -> Any:
        """Save ``checkpoint``, then drop the ones before it in the same thread and namespace."""
        saved = super().put(config, checkpoint, metadata, new_versions)
        where = "thread_id = ? AND checkpoint_ns = ? AND checkpoint_id < ?"
        conf = saved["configurable"]
        # Checkpoint ids are time-ordered (UUID v6), so "older" is a string comparison on the key.
        params = (str(conf["thread_id"]), conf.get("checkpoint_ns", ""), conf["checkpoint_id"])
        with self.cursor() as cur:
            cur.execute(f"DELETE FROM checkpoints WHERE {where}", params)
            cur.execute(f"DELETE FROM writes WHERE {where}", params)
        return saved

    def size_of_thread(self, thread_id: str) -> int:
        """Bytes the thread's checkpoints and writes hold (their serialized values)."""
        with self.cursor(transaction=False) as cur:
            checkpoints = cur.execute(
                "SELECT coalesce(sum(length(checkpoint) + length(metadata)), 0) FROM checkpoints WHERE thread_id = ?",
                (thread_id,),
            ).fetchone()[0]
            writes = cur.execute(
                "SELECT coalesce(sum(length(value)), 0) FROM writes WHERE thread_id = ?", (thread_id,)
            ).fetchone()[0]
        return int(checkpoints) + int(writes)
