"""Keeping the name index and the company tree in step with the store's company change log.

Every admin write, import or other process's change reaches every chat through here: each update
asks ``sync`` first, which is one indexed read when nothing changed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from bot.names.resolver import Resolver
from bot.store import Store
from bot.tree import CompanyTree

RELOAD_ALL_OVER = 500
"""More companies changed than this since the last sync (a big import): reload every company,
which is then cheaper than reading them one by one."""


class IndexSync:
    """The index (resolver + tree) and how far into the store's change log it has read.

    ``version`` moves once per change to the index, so answers computed from the index (a
    question's reading, its split) are remembered under it.
    """

    def __init__(self, store: Store, resolver: Resolver, tree: CompanyTree,
                 synced_names: int | None = None) -> None:
        self.store = store
        self.resolver = resolver
        self.tree = tree
        self.version = 0
        # The newest entry of the store's company change log that the index includes; ``sync``
        # applies the entries after it, one sync at a time. Start-up reads it before the
        # companies (``synced_names``): a change committed while the index is built is then
        # applied by the first sync instead of being taken as included.
        self._synced_names: int = store.company_changes() if synced_names is None else synced_names
        self._lock = asyncio.Lock()

    async def refresh(self, company_ids: Iterable[int] | None = None) -> None:
        """Reload the named companies into the index, or all of them.

        The version moves only once the index has changed, after every await: a question
        answered meanwhile is remembered under the old version and cannot outlive this refresh.
        """
        if company_ids is None:
            companies = await self.store.companies()
            present = {c.id for c in companies}
            for company in companies:
                if self.resolver.company(company.id) != company:
                    self.resolver.upsert_company(company)
                    self.tree.link(company)
            for gone in [cid for cid in self.tree.ids() if cid not in present]:
                self.tree.unlink(gone)
                self.resolver.remove_company(gone)
        else:
            loaded = [(cid, await self.store.company(cid)) for cid in company_ids]
            for company_id, found in loaded:
                if found is None:
                    self.tree.unlink(company_id)
                    self.resolver.remove_company(company_id)
                else:
                    self.resolver.upsert_company(found)
                    self.tree.link(found)
        self.version += 1

    async def sync(self) -> None:
        """Bring the index up to the store's company change log: the companies changed since
        it last matched (by this process or another, such as ``python -m bot import``), or
        every company after a big change.

        Every update calls this, so the common case is one indexed read. One sync runs at a
        time: updates arriving during a reload wait for it instead of starting their own.
        """
        if self.store.company_changes() == self._synced_names:
            return
        async with self._lock:
            changed = self.store.companies_changed_since(self._synced_names, RELOAD_ALL_OVER)
            if changed is None:
                newest = self.store.company_changes()  # read first: later changes get the next sync
                await self.refresh()
            else:
                newest, company_ids = changed
                if company_ids:
                    await self.refresh(company_ids)
            self._synced_names = max(self._synced_names, newest)
