// A node-smpp SMSC for the SMPP connector tests: the second, independent implementation.
//   node smsc.js --port P [--password PW] [--tls-key FILE --tls-cert FILE] [--quiet]
// Binds with another password are refused with ESME_RINVPASWD. Every submit_sm is
// accepted with a decimal id and answered with a DELIVRD receipt (text and TLVs).
// With --tls-key and --tls-cert it listens over TLS (node-smpp's SecureServer).
// One JSON line per event on stdout, as tests/smsc/smpp34_smsc.py writes them; JSON
// commands on stdin: {"cmd": "mo", "from": "+1555...", "to": "+1800...", "text": "..."}
// sends an MO deliver_sm on the last bound session (deliver_sm_resp reported as an event);
// {"cmd": "count"} answers with the submit_sm count (a benchmark runs with --quiet: no
// event per submit).
const fs = require('fs');
const readline = require('readline');
const smpp = require('smpp');

const args = process.argv.slice(2);
const arg = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const port = parseInt(arg('--port'), 10);
const password = arg('--password', 'secret');
const quiet = args.includes('--quiet');
const emit = (event, fields) => process.stdout.write(JSON.stringify({ event, ...fields }) + '\n');
let count = 0;
let receiver = null;
const tlsKey = arg('--tls-key');
const tlsCert = arg('--tls-cert');
const serverOptions = tlsKey && tlsCert
  ? { key: fs.readFileSync(tlsKey), cert: fs.readFileSync(tlsCert) }
  : {};

const server = smpp.createServer(serverOptions, (session) => {
  const bind = (pdu) => {
    if (pdu.password !== password) {
      emit('bind_refused', { system_id: pdu.system_id });
      session.send(pdu.response({ command_status: smpp.ESME_RINVPASWD }));
      session.close();
      return;
    }
    session.send(pdu.response());
    receiver = session;
    emit('bound', { system_id: pdu.system_id });
  };
  session.on('bind_transceiver', bind);
  session.on('bind_transmitter', bind);
  session.on('bind_receiver', bind);
  session.on('enquire_link', (pdu) => {
    session.send(pdu.response());
    emit('enquire_link', {});
  });
  session.on('unbind', (pdu) => {
    session.send(pdu.response());
    session.close();
    emit('unbound', {});
  });
  session.on('submit_sm', (pdu) => {
    count += 1;
    const id = String(5000000 + count);
    if (!quiet) {
      const sm = pdu.short_message;
      const raw = Buffer.isBuffer(sm) ? sm : Buffer.from((sm && sm.message) || '', 'utf8');
      emit('submit', {
        dest: pdu.destination_addr, source: pdu.source_addr, esm_class: pdu.esm_class,
        data_coding: pdu.data_coding, short_message: raw.toString('hex'),
      });
    }
    session.send(pdu.response({ message_id: id }));
    session.deliver_sm({
      source_addr: pdu.destination_addr,
      destination_addr: pdu.source_addr,
      esm_class: 4,
      short_message: 'id:' + id + ' sub:001 dlvrd:001 submit date:2612041200 done date:2612041200 stat:DELIVRD err:000 Text:hi',
      receipted_message_id: id,
      message_state: 2,
    });
  });
  session.on('error', () => {});
});
server.listen(port, '127.0.0.1', () => emit('listening', { port }));

readline.createInterface({ input: process.stdin }).on('line', (line) => {
  const cmd = JSON.parse(line);
  if (cmd.cmd === 'count') {
    emit('count', { submits: count, accepted: count });
    return;
  }
  if (cmd.cmd !== 'mo' || receiver === null) {
    emit('mo_error', { error: receiver === null ? 'no session bound' : 'unknown command' });
    return;
  }
  receiver.deliver_sm({
    source_addr: cmd.from.replace('+', ''),
    source_addr_ton: 1,
    source_addr_npi: 1,
    destination_addr: cmd.to.replace('+', ''),
    dest_addr_ton: 1,
    dest_addr_npi: 1,
    short_message: cmd.text,
  }, (pdu) => emit('deliver_sm_resp', { kind: 'mo', status: pdu.command_status, text: cmd.text }));
});
