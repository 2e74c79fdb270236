// CosmJS glue for the tensorcosm chain's x/subnet module: a protobuf
// Registry with every x/subnet Msg, amino converters for signing with
// SIGN_MODE_LEGACY_AMINO_JSON (Ledger, amino-only wallets), and a typed
// QueryClient extension for x/subnet's Query service. The message and query
// types themselves are generated from proto/ by `make proto-gen` (ts-proto)
// into src/generated and re-exported here.

import { GeneratedType, Registry } from "@cosmjs/proto-signing";
import {
  AminoConverter,
  AminoConverters,
  AminoTypes,
  QueryClient,
  createDefaultAminoConverters,
  createProtobufRpcClient,
  defaultRegistryTypes,
} from "@cosmjs/stargate";
import { connectComet } from "@cosmjs/tendermint-rpc";

import { QueryClientImpl } from "./generated/tensorcosm/subnet/v1/query";
import {
  MsgAddStake,
  MsgCancelUnbonding,
  MsgCommitWeights,
  MsgCreateSubnet,
  MsgDissolveSubnet,
  MsgRegister,
  MsgRemoveStake,
  MsgRevealWeights,
  MsgServeAxon,
  MsgSetDelegateTake,
  MsgSetWeights,
  MsgUpdateParams,
  MsgUpdateSubnetHyperparams,
} from "./generated/tensorcosm/subnet/v1/tx";

export * as subnetTx from "./generated/tensorcosm/subnet/v1/tx";
export * as subnetQuery from "./generated/tensorcosm/subnet/v1/query";
export * as subnetTypes from "./generated/tensorcosm/subnet/v1/types";
export * as subnetParams from "./generated/tensorcosm/subnet/v1/params";
export * as subnetGenesis from "./generated/tensorcosm/subnet/v1/genesis";
export * as subnetEvents from "./generated/tensorcosm/subnet/v1/events";
export { QueryClientImpl as SubnetQueryClient } from "./generated/tensorcosm/subnet/v1/query";

/** Bech32 prefix of tensorcosm account addresses. */
export const bech32Prefix = "tensor";
/** Base denomination (1 TENSOR = 10^6 utensor). */
export const denom = "utensor";

/** A ts-proto message type: what the registry and the amino converters use. */
type MessageType<T> = GeneratedType & {
  fromPartial(object: any): T;
  toJSON(message: T): unknown;
  fromJSON(object: any): T;
};

// Amino JSON (x/tx aminojson, what the chain verifies) writes proto field
// names, 64-bit integers as strings, bytes as base64, and leaves zero values
// out unless the field has (amino.dont_omitempty). ts-proto's toJSON does
// all of that but with camelCase names and always leaving zero values out,
// so each message lists its dont_omitempty fields (with the zero value to
// write) and the message types of its nested fields.
interface AminoField {
  /** (amino.dont_omitempty): written even when zero. */
  always?: true;
  /** Zero value of a dont_omitempty scalar field. */
  zero?: unknown;
  /** Fields of a nested message (or of each element of a repeated one). */
  msg?: AminoSpec;
}
type AminoSpec = Record<string, AminoField>;

const intField: AminoField = { always: true, zero: "" }; // cosmos.Int, non-nullable
const tensorSpec: AminoSpec = {};
const taskSpec: AminoSpec = { inputs: { msg: tensorSpec }, outputs: { msg: tensorSpec } };
const hyperparamsSpec: AminoSpec = { min_burn: intField, max_burn: intField };
const paramsSpec: AminoSpec = {
  subnet_lock_cost: intField,
  default_hyperparams: { always: true, msg: hyperparamsSpec },
  block_emission: intField,
  max_supply: intField,
};

function snake(key: string): string {
  return key.replace(/[A-Z]/g, (c) => "_" + c.toLowerCase());
}

/** toAminoJSON turns ts-proto JSON (camelCase, zeros left out) into amino JSON. */
function toAminoJSON(json: any, spec: AminoSpec): any {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(json ?? {})) {
    const name = snake(k);
    const nested = spec[name]?.msg;
    if (nested && Array.isArray(v)) out[name] = v.map((e) => toAminoJSON(e, nested));
    else if (nested) out[name] = toAminoJSON(v, nested);
    else out[name] = v;
  }
  for (const [name, f] of Object.entries(spec)) {
    if (f.always && !(name in out)) out[name] = f.msg ? toAminoJSON({}, f.msg) : f.zero;
  }
  return out;
}

function converter<T>(type: MessageType<T>, name: string, spec: AminoSpec): AminoConverter {
  return {
    aminoType: `tensorcosm/x/subnet/${name}`,
    toAmino: (value: any) => toAminoJSON(type.toJSON(type.fromPartial(value)), spec),
    fromAmino: (value: any) => type.fromJSON(value),
  };
}

interface SubnetMsg {
  type: MessageType<any>;
  spec: AminoSpec;
}

/** Every x/subnet Msg by name, with its amino spec. */
const subnetMsgs: Record<string, SubnetMsg> = {
  MsgUpdateParams: { type: MsgUpdateParams, spec: { params: { always: true, msg: paramsSpec } } },
  MsgCreateSubnet: {
    type: MsgCreateSubnet,
    spec: { task: { always: true, msg: taskSpec }, hyperparams: { msg: hyperparamsSpec } },
  },
  MsgDissolveSubnet: { type: MsgDissolveSubnet, spec: {} },
  MsgUpdateSubnetHyperparams: {
    type: MsgUpdateSubnetHyperparams,
    spec: { hyperparams: { always: true, msg: hyperparamsSpec } },
  },
  MsgRegister: { type: MsgRegister, spec: { max_burn: intField } },
  MsgServeAxon: {
    type: MsgServeAxon,
    spec: { axon: { always: true, msg: {} }, model: { always: true, msg: {} } },
  },
  MsgAddStake: { type: MsgAddStake, spec: { amount: intField } },
  MsgRemoveStake: { type: MsgRemoveStake, spec: { amount: intField } },
  MsgCancelUnbonding: { type: MsgCancelUnbonding, spec: { amount: intField } },
  MsgSetDelegateTake: { type: MsgSetDelegateTake, spec: {} },
  MsgSetWeights: { type: MsgSetWeights, spec: {} },
  MsgCommitWeights: { type: MsgCommitWeights, spec: {} },
  MsgRevealWeights: { type: MsgRevealWeights, spec: {} },
};

/** Type URL of an x/subnet Msg, e.g. typeUrl("MsgAddStake"). */
export function typeUrl(name: keyof typeof subnetMsgs | string): string {
  return `/tensorcosm.subnet.v1.${name}`;
}

/** The x/subnet Msg types, as [typeUrl, type] pairs for a CosmJS Registry. */
export const subnetRegistryTypes: ReadonlyArray<[string, GeneratedType]> = Object.entries(subnetMsgs).map(
  ([name, m]) => [typeUrl(name), m.type],
);

/** Amino converters for every x/subnet Msg (amino names from the protos' amino.name). */
export function createSubnetAminoConverters(): AminoConverters {
  return Object.fromEntries(
    Object.entries(subnetMsgs).map(([name, m]) => [typeUrl(name), converter(m.type, name, m.spec)]),
  );
}

/** A Registry with the Cosmos SDK's default types and every x/subnet Msg. */
export function createRegistry(): Registry {
  return new Registry([...defaultRegistryTypes, ...subnetRegistryTypes]);
}

/** AminoTypes with the Cosmos SDK's default converters and x/subnet's. */
export function createAminoTypes(): AminoTypes {
  return new AminoTypes({ ...createDefaultAminoConverters(), ...createSubnetAminoConverters() });
}

/**
 * Options for SigningStargateClient.connectWithSigner: the registry and
 * amino types above. Add gasPrice as needed (the localnet accepts 0utensor).
 */
export function signingClientOptions(): { registry: Registry; aminoTypes: AminoTypes } {
  return { registry: createRegistry(), aminoTypes: createAminoTypes() };
}

/**
 * The QueryClient extension: client.subnet.Metagraph({ netuid: 1 }), ...
 * read the latest state; client.subnet.at(height).Metagraph(...) reads the
 * state as block height left it (e.g. the height of a tx result).
 */
export interface SubnetExtension {
  readonly subnet: QueryClientImpl & { at(height: number): QueryClientImpl };
}

/** setupSubnetExtension is for QueryClient.withExtensions. */
export function setupSubnetExtension(base: QueryClient): SubnetExtension {
  const at = (height: number) =>
    new QueryClientImpl({
      request: async (service: string, method: string, data: Uint8Array) =>
        (await base.queryAbci(`/${service}/${method}`, data, height)).value,
    });
  return { subnet: Object.assign(new QueryClientImpl(createProtobufRpcClient(base)), { at }) };
}

/**
 * connectSubnetQueryClient connects to a CometBFT RPC endpoint
 * (http://host:26657); disconnect() closes the connection.
 */
export async function connectSubnetQueryClient(
  rpcEndpoint: string,
): Promise<QueryClient & SubnetExtension & { disconnect(): void }> {
  const comet = await connectComet(rpcEndpoint);
  const client = QueryClient.withExtensions(comet, setupSubnetExtension);
  return Object.assign(client, { disconnect: () => comet.disconnect() });
}
