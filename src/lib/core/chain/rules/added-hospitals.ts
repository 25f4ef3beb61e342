/**
 * The hospitals the managers added after genesis, in consortium state: an append-only paged list
 * (store.ts) of their ids under `meta`. A light client already holds the founding hospitals (the
 * genesis document); with this list, proven complete page by page, it names every member hospital —
 * one just added too, before any of its nodes is known — and no node can hide one. Ids are never
 * reused, and a removed hospital stays listed (its entry says it is no longer active).
 */
import { utf8Bytes } from '../../crypto/hash.js';
import { appendToList, listHasRoom, NS, type ChainState } from '../store.js';

export const ADDED_HOSPITALS_LIST = utf8Bytes('added-hospitals');

export const addedHospitalsHaveRoom = (s: ChainState): boolean =>
  listHasRoom(s, NS.meta, ADDED_HOSPITALS_LIST, 1);

export const listAddedHospital = (s: ChainState, hospitalId: string): ChainState =>
  appendToList(s, NS.meta, ADDED_HOSPITALS_LIST, [utf8Bytes(hospitalId)]);
