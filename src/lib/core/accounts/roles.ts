/**
 * Who can act on the system. A patient holds records; a doctor reads and writes them with consent; a
 * manager approves registrations, ranks and recoveries (a majority of managers must agree); a hospital
 * is a consortium authority; a node is one of a hospital's machines (validator, mirror or follower).
 */
import * as v from 'valibot';

export const ROLES = ['patient', 'doctor', 'manager', 'hospital', 'node'] as const;
export type Role = (typeof ROLES)[number];
export const RoleSchema = v.picklist(ROLES);

/** What a hospital machine does: validators sign blocks, mirrors store blobs, followers only read. */
export const NODE_ROLES = ['validator', 'mirror', 'follower'] as const;
export type NodeRole = (typeof NODE_ROLES)[number];
export const NodeRoleSchema = v.picklist(NODE_ROLES);
