"""Registered models: create, read, rename, describe, delete, search, and their tags."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from modelreg import events, filters, validation
from modelreg.entities import PagedList, RegisteredModel
from modelreg.limits import SEARCH_MODELS_DEFAULT, SEARCH_MODELS_MAX
from modelreg.service.paging import fetch_page
from modelreg.service.registry._base import model_not_found, read_back
from modelreg.service.registry.copies import CopyLifetimes
from modelreg.store.copies import CopyStore, version_copies
from modelreg.store.registry import RegistryStore
from modelreg.store.webhooks import WebhookStore


class RegisteredModels(CopyLifetimes):
    """The registry's use cases on registered models."""

    def create_registered_model(
        self,
        name: str,
        tags: Mapping[str, Any] | None = None,
        description: str | None = None,
    ) -> RegisteredModel:
        name = validation.validate_model_name(name)
        clean_tags = validation.validate_tags(tags)
        text = validation.validate_description(description)
        now = self.clock()
        with self.db.write() as conn:
            store = RegistryStore(conn)
            model_id = store.insert_model(name, text, self.actor, now)
            store.set_model_tags(model_id, clean_tags)
            self._record(
                conn,
                now,
                events.RegisteredModelCreated(name=name, description=text, tags=clean_tags),
            )
        return RegisteredModel(
            name=name,
            creation_timestamp=now,
            last_updated_timestamp=now,
            description=text,
            user_id=self.actor,
            tags=clean_tags,
        )

    def get_registered_model(self, name: str) -> RegisteredModel:
        name = validation.validate_model_name(name)
        with self.db.read() as conn:
            model = RegistryStore(conn).get_model(name)
        if model is None:
            raise model_not_found(name)
        return model

    def rename_registered_model(self, name: str, new_name: str) -> RegisteredModel:
        name = validation.validate_model_name(name)
        new_name = validation.validate_model_name(new_name)
        now = self.clock()
        with self.db.write() as conn:
            store = RegistryStore(conn)
            model_id = self._require_model_id(store, name)
            if new_name != name:
                store.rename_model(model_id, new_name, now)
                WebhookStore(conn).follow_rename(name, new_name)
                self._record(conn, now, events.RegisteredModelRenamed(name=new_name, old_name=name))
            return read_back(store.get_model(new_name), "The renamed model")

    def update_registered_model(self, name: str, description: str | None) -> RegisteredModel:
        name = validation.validate_model_name(name)
        text = validation.validate_description(description)
        now = self.clock()
        with self.db.write() as conn:
            store = RegistryStore(conn)
            model_id = self._require_model_id(store, name)
            store.update_model(model_id, now, description=text)
            self._record(conn, now, events.RegisteredModelUpdated(name=name, description=text))
            return read_back(store.get_model(name), "The updated model")

    def delete_registered_model(self, name: str) -> None:
        name = validation.validate_model_name(name)
        now = self.clock()
        with self.db.write() as conn:
            store = RegistryStore(conn)
            model_id = store.lock_model(name)
            if model_id is None:
                raise model_not_found(name)
            freed = CopyStore(conn).release(version_copies(conn, model_id))
            store.delete_model(model_id)
            WebhookStore(conn).disable_for_model(name, "its registered model was deleted", now)
            self._record(conn, now, events.RegisteredModelDeleted(name=name))
        # After the commit: no version references these copies, none can again.
        self._remove_files(freed)

    def search_registered_models(
        self,
        filter_string: str | None = None,
        max_results: int = SEARCH_MODELS_DEFAULT,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[RegisteredModel]:
        limit = filters.validate_max_results(
            max_results, maximum=SEARCH_MODELS_MAX, default=SEARCH_MODELS_DEFAULT
        )
        conditions = filters.parse_registered_model_filter(filter_string, self.db.filter_limits)
        order = filters.parse_registered_model_order_by(order_by)
        visible = self._visibility()

        def fetch(offset: int, count: int) -> list[RegisteredModel]:
            with self.db.read() as conn:
                return RegistryStore(conn).search_models(conditions, order, offset, count, visible)

        return fetch_page(fetch, page_token, limit)

    # -------------------------------------------------------------- tags
    def set_registered_model_tag(self, name: str, key: str, value: Any) -> None:
        name = validation.validate_model_name(name)
        key = validation.validate_tag_key(key)
        text = validation.validate_tag_value(key, value)
        now = self.clock()
        with self.db.write() as conn:
            store = RegistryStore(conn)
            model_id = self._require_model_id(store, name)
            store.set_model_tags(model_id, {key: text})
            self._record(conn, now, events.RegisteredModelTagSet(name=name, key=key, value=text))

    def delete_registered_model_tag(self, name: str, key: str) -> None:
        name = validation.validate_model_name(name)
        key = validation.validate_tag_key(key)
        now = self.clock()
        with self.db.write() as conn:
            store = RegistryStore(conn)
            model_id = self._require_model_id(store, name)
            if store.delete_model_tag(model_id, key):
                self._record(conn, now, events.RegisteredModelTagDeleted(name=name, key=key))
