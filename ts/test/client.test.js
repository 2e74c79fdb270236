// Runs the package against a running chain (tests/localnet's
// TestTypeScriptClient starts one): queries the metagraph of subnet 1, then
// signs and broadcasts MsgAddStake and MsgSetWeights through CosmJS, in
// direct sign mode and in amino-json mode, and reads every effect back
// through the typed query client.
//
// Environment (all required):
//   TENSORCOSM_RPC          CometBFT RPC endpoint, e.g. http://127.0.0.1:26657
//   TENSORCOSM_STAKER_KEY   hex secp256k1 private key of a funded account
//   TENSORCOSM_HOTKEY_KEY   hex private key of a hotkey registered as uid 0 of
//                           subnet 1, on a subnet with commit_reveal off and
//                           weights_rate_limit 0
//   TENSORCOSM_OWNER_KEY    hex private key of subnet 1's owner
"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");
const { DirectSecp256k1Wallet } = require("@cosmjs/proto-signing");
const { Secp256k1Wallet } = require("@cosmjs/amino");
const { fromHex } = require("@cosmjs/encoding");
const { SigningStargateClient } = require("@cosmjs/stargate");

const client = require("../dist");
const { MsgAddStake, MsgSetWeights } = client.subnetTx;

function env(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set (see the comment at the top of ${__filename})`);
  return v;
}

const rpc = env("TENSORCOSM_RPC");
const stakerKey = fromHex(env("TENSORCOSM_STAKER_KEY"));
const hotkeyKey = fromHex(env("TENSORCOSM_HOTKEY_KEY"));
const ownerKey = fromHex(env("TENSORCOSM_OWNER_KEY"));
const fee = { amount: [{ denom: client.denom, amount: "0" }], gas: "400000" };

async function signer(wallet) {
  const [account] = await wallet.getAccounts();
  const signing = await SigningStargateClient.connectWithSigner(rpc, wallet, {
    ...client.signingClientOptions(),
    broadcastPollIntervalMs: 200,
  });
  return { address: account.address, signing };
}

async function broadcast(s, msg) {
  const res = await s.signing.signAndBroadcast(s.address, [msg], fee, "ts client test");
  assert.equal(res.code, 0, `${msg.typeUrl} failed: code ${res.code}: ${res.rawLog}`);
  return res;
}

test("registry and amino converters cover every x/subnet Msg", () => {
  const registry = client.createRegistry();
  const amino = client.createAminoTypes();
  const names = Object.keys(client.subnetTx).filter((n) => /^Msg(?!.*Response$)/.test(n) && n !== "MsgClientImpl" && n !== "MsgServiceName");
  assert.equal(names.length, 13, `messages in tx.proto: ${names}`);
  for (const name of names) {
    const url = client.typeUrl(name);
    assert.ok(registry.lookupType(url), `registry lacks ${url}`);
    const converted = amino.toAmino({ typeUrl: url, value: {} });
    assert.equal(converted.type, `tensorcosm/x/subnet/${name}`);
  }
});

test("queries, MsgAddStake and MsgSetWeights against the chain", async (t) => {
  const q = await client.connectSubnetQueryClient(rpc);
  t.after(() => q.disconnect());
  const staker = await signer(await DirectSecp256k1Wallet.fromKey(stakerKey, client.bech32Prefix));
  const hot = await signer(await DirectSecp256k1Wallet.fromKey(hotkeyKey, client.bech32Prefix));
  t.after(() => staker.signing.disconnect());
  t.after(() => hot.signing.disconnect());

  await t.test("metagraph of subnet 1 lists the hotkey as uid 0", async () => {
    const mg = await q.subnet.Metagraph({ netuid: 1 });
    assert.equal(mg.netuid, 1);
    assert.ok(BigInt(mg.block) > 0n, `metagraph block ${mg.block}`);
    const uid0 = mg.neurons.find((n) => n.neuron.uid === 0);
    assert.ok(uid0, `no uid 0 in ${JSON.stringify(mg.neurons)}`);
    assert.equal(uid0.neuron.hotkey, hot.address);
  });

  let warmed = 0n;
  // stake warms up for one tempo (a few blocks on the localnet): read the
  // state as each tx's block left it
  await t.test("MsgAddStake (direct) shows as warming stake", async () => {
    const res = await broadcast(staker, {
      typeUrl: client.typeUrl("MsgAddStake"),
      value: MsgAddStake.fromPartial({ staker: staker.address, hotkey: hot.address, amount: "250000" }),
    });
    const { warming } = await q.subnet.at(res.height).WarmingStakes({ hotkey: hot.address });
    const mine = warming.filter((w) => w.staker === staker.address);
    assert.equal(mine.length, 1, `warming stakes: ${JSON.stringify(warming)}`);
    assert.equal(mine[0].amount, "250000");
    assert.ok(BigInt(mine[0].matureBlock) > BigInt(res.height), `mature block ${mine[0].matureBlock} at ${res.height}`);
    warmed = BigInt(mine[0].amount);
  });

  await t.test("MsgAddStake (amino-json) adds to the warming stake", async () => {
    const amino = await signer(await Secp256k1Wallet.fromKey(stakerKey, client.bech32Prefix));
    t.after(() => amino.signing.disconnect());
    const res = await broadcast(amino, {
      typeUrl: client.typeUrl("MsgAddStake"),
      value: { staker: amino.address, hotkey: hot.address, amount: "1000" },
    });
    const at = q.subnet.at(res.height);
    const { warming } = await at.WarmingStakes({ hotkey: hot.address });
    const total = warming.filter((w) => w.staker === staker.address).reduce((s, w) => s + BigInt(w.amount), 0n);
    // the first stake may have matured (counted) by this block
    assert.ok(total === warmed + 1000n || total === 1000n, `warming stakes: ${JSON.stringify(warming)}`);
    const byHotkey = await at.StakeByHotkey({ hotkey: hot.address });
    assert.equal(BigInt(byHotkey.warming), total, `stake-by-hotkey: ${JSON.stringify(byHotkey)}`);
    const counted = byHotkey.stakes.filter((s) => s.staker === staker.address).reduce((s, x) => s + BigInt(x.amount), 0n);
    assert.ok(total + counted >= warmed + 1000n, `stake-by-hotkey: ${JSON.stringify(byHotkey)}`);
  });

  await t.test("MsgSetWeights (direct) stores the weights row", async () => {
    const res = await broadcast(hot, {
      typeUrl: client.typeUrl("MsgSetWeights"),
      value: MsgSetWeights.fromPartial({ hotkey: hot.address, netuid: 1, uids: [0], values: [1000] }),
    });
    const { weights } = await q.subnet.Weights({ netuid: 1 });
    assert.equal(weights.length, 1, `weights: ${JSON.stringify(weights)}`);
    assert.equal(weights[0].uid, 0);
    assert.deepEqual(weights[0].row.entries, [{ uid: 0, value: 65535 }]); // max-upscaled
    const { neuron } = await q.subnet.Neuron({ netuid: 1, uid: 0 });
    assert.equal(neuron.neuron.lastUpdate, String(res.height));
  });

  await t.test("MsgSetWeights (amino-json) is accepted", async () => {
    const amino = await signer(await Secp256k1Wallet.fromKey(hotkeyKey, client.bech32Prefix));
    t.after(() => amino.signing.disconnect());
    const res = await broadcast(amino, {
      typeUrl: client.typeUrl("MsgSetWeights"),
      value: { hotkey: amino.address, netuid: 1, uids: [0], values: [7] },
    });
    const { neuron } = await q.subnet.Neuron({ netuid: 1, uid: 0 });
    assert.equal(neuron.neuron.lastUpdate, String(res.height));
  });

  // nested messages with (amino.dont_omitempty), 64-bit integers, bools and
  // cosmos.Int fields: the chain verifies the amino-json signature only if
  // the converters write exactly what x/tx's aminojson encoder writes
  await t.test("MsgServeAxon (amino-json) stores the axon and model", async () => {
    const amino = await signer(await Secp256k1Wallet.fromKey(hotkeyKey, client.bech32Prefix));
    t.after(() => amino.signing.disconnect());
    const sha256 = "ab".repeat(32);
    const res = await broadcast(amino, {
      typeUrl: client.typeUrl("MsgServeAxon"),
      value: {
        hotkey: amino.address,
        netuid: 1,
        axon: { host: "127.0.0.1", port: 8091, protocol: "grpc" },
        model: { sha256, size: "10240" },
      },
    });
    const { neuron } = await q.subnet.at(res.height).Neuron({ netuid: 1, uid: 0 });
    assert.equal(neuron.neuron.axon.host, "127.0.0.1");
    assert.equal(neuron.neuron.axon.port, 8091);
    assert.equal(neuron.neuron.model.sha256, sha256);
    assert.equal(neuron.neuron.model.size, "10240");
  });

  await t.test("MsgUpdateSubnetHyperparams (amino-json) sets the pending hyperparams", async () => {
    const amino = await signer(await Secp256k1Wallet.fromKey(ownerKey, client.bech32Prefix));
    t.after(() => amino.signing.disconnect());
    const { subnet } = await q.subnet.Subnet({ netuid: 1 });
    assert.equal(subnet.owner, amino.address);
    const hyperparams = { ...subnet.hyperparams, servingRateLimit: String(BigInt(subnet.hyperparams.servingRateLimit) + 1n) };
    const res = await broadcast(amino, {
      typeUrl: client.typeUrl("MsgUpdateSubnetHyperparams"),
      value: { signer: amino.address, netuid: 1, hyperparams },
    });
    const after = await q.subnet.at(res.height).Subnet({ netuid: 1 });
    const applied = after.subnet.pendingHyperparams ?? after.subnet.hyperparams;
    assert.deepEqual(applied, hyperparams);
  });
});
