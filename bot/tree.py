"""The company tree: who is whose parent, each group's members, and the chain of ownership.

Answers roll facts up a group ("Alipay" answers for Ant Group's members) and say how a party
belongs to the asked company; both read this tree, which the index sync keeps current.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from bot.domain import Company, Link, Ownership, OwnershipVerdict, Relation
from bot.names.resolver import Resolver


class CompanyTree:
    """Parent and children of every indexed company; names come from the resolver's index."""

    def __init__(self, resolver: Resolver, companies: Iterable[Company] = ()) -> None:
        self.resolver = resolver
        self._children: dict[int, set[int]] = defaultdict(set)
        self._parent: dict[int, int | None] = {}
        for company in companies:
            self.link(company)

    def link(self, company: Company) -> None:
        """Place ``company`` under its (possibly new) parent."""
        old_parent = self._parent.get(company.id)
        if old_parent is not None:
            self._children[old_parent].discard(company.id)
        self._parent[company.id] = company.parent_id
        if company.parent_id is not None:
            self._children[company.parent_id].add(company.id)

    def unlink(self, company_id: int) -> None:
        parent = self._parent.pop(company_id, None)
        if parent is not None:
            self._children[parent].discard(company_id)

    def ids(self) -> list[int]:
        return list(self._parent)

    def company(self, company_id: int) -> Company:
        company = self.resolver.company(company_id)
        if company is None:  # only if the index and the store disagree; keep answering
            return Company(id=company_id, name=f"company #{company_id}")
        return company

    def children(self, company_id: int) -> set[int]:
        return self._children.get(company_id, set())

    def descendants(self, company_id: int) -> set[int]:
        found: set[int] = set()
        stack = [company_id]
        while stack:
            for child in self._children.get(stack.pop(), ()):
                if child not in found and child != company_id:
                    found.add(child)
                    stack.append(child)
        return found

    def ancestors(self, company_id: int) -> list[Company]:
        chain: list[Company] = []
        seen = {company_id}
        parent = self._parent.get(company_id)
        while parent is not None and parent not in seen:
            chain.append(self.company(parent))
            seen.add(parent)
            parent = self._parent.get(parent)
        return chain

    def chain(self, company: Company) -> tuple[Link, ...]:
        """The company's links upwards: itself to its parent, the parent to its own, ..."""
        links: list[Link] = []
        seen = {company.id}
        child = company
        parent_id = self._parent.get(company.id, company.parent_id)
        while parent_id is not None and parent_id not in seen:
            parent = self.company(parent_id)
            links.append(Link(child, parent, child.relation))
            seen.add(parent_id)
            child = parent
            parent_id = self._parent.get(parent_id)
        return tuple(links)

    def via(self, subject: Company, obj: Company, asked: tuple[Company, Company]) -> tuple[Link, ...]:
        """For each party that is not an asked company: the link that says how it belongs.

        The weakest link on the way up counts ("via Ant Group (Alibaba affiliate)"); if all are
        owned, the party's own link does ("via WeChat Pay, WeChat's payment service").
        """
        asked_ids = {c.id for c in asked}
        links: list[Link] = []
        for party in (subject, obj):
            if party.id in asked_ids:
                continue
            upto: list[Link] = []
            for link in self.chain(party):
                upto.append(link)
                if link.parent.id in asked_ids:
                    break
            if not upto:
                continue
            weak = [link for link in upto if link.relation is Relation.AFFILIATE]
            links.append(weak[-1] if weak else upto[0])
        return tuple(links)

    def sisters(self, company: Company) -> list[Company]:
        """The other children of the company's parent, by name."""
        if company.parent_id is None:
            return []
        return sorted((self.company(c) for c in self._children.get(company.parent_id, ())
                       if c != company.id), key=lambda c: c.name)

    def products(self, company: Company) -> list[Company]:
        """The company's products and services (WeChat Pay of WeChat): children typed as
        products; in a tree without types, family members whose name extends this one."""
        children = [self.company(c) for c in self._children.get(company.id, ())]
        typed = [c for c in children if c.relation is Relation.PRODUCT]
        if typed:
            return sorted(typed, key=lambda c: c.name)
        family = set(self._children.get(company.id, ()))
        if company.parent_id is not None:
            family |= self._children.get(company.parent_id, set())
        prefix = company.name.casefold() + " "
        return sorted((self.company(c) for c in family
                       if c != company.id and self.company(c).name.casefold().startswith(prefix)
                       and self.company(c).relation is None), key=lambda c: c.name)

    def ownership(self, first: Company, second: Company | None, owner_first: bool = False) -> Ownership:
        """Answer "who owns X", "is X part of Y", "does Y own X" (``owner_first``: the owner
        was named first, as in "does Tencent own JD")."""
        if second is None:
            return Ownership(first, None, OwnershipVerdict.CHAIN, self.chain(first))
        if owner_first:
            first, second = second, first
        for child, parent in ((first, second), (second, first)):
            upto: list[Link] = []
            for link in self.chain(child):
                upto.append(link)
                if link.parent.id == parent.id:
                    weak = any(x.relation is Relation.AFFILIATE for x in upto)
                    verdict = OwnershipVerdict.AFFILIATE if weak else OwnershipVerdict.YES
                    return Ownership(child, parent, verdict, tuple(upto))
        chain, other_chain = self.chain(first), self.chain(second)
        above = {link.parent.id for link in other_chain}
        common = next((i for i, link in enumerate(chain) if link.parent.id in above), None)
        if common is not None:  # "is Temu related to Pinduoduo": both PDD Holdings'
            group = chain[common].parent
            top = next(i for i, link in enumerate(other_chain) if link.parent.id == group.id)
            return Ownership(first, group, OwnershipVerdict.RELATED, chain[:common + 1],
                             other_chain[:top + 1], other=second)
        return Ownership(first, second, OwnershipVerdict.NO, chain, other_chain)
