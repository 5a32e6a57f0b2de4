// A node-smpp SMSC for the SMPP connector tests: the second, independent implementation.
//   node smsc.js --port P [--password PW]
// Binds with another password are refused with ESME_RINVPASWD. Every submit_sm is
// accepted with a decimal id and answered with a DELIVRD receipt (text and TLVs).
// One JSON line per event on stdout, as tests/smsc/smpp34_smsc.py writes them.
const smpp = require('smpp');

const args = process.argv.slice(2);
const arg = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const port = parseInt(arg('--port'), 10);
const password = arg('--password', 'secret');
const emit = (event, fields) => process.stdout.write(JSON.stringify({ event, ...fields }) + '\n');
let count = 0;

const server = smpp.createServer({}, (session) => {
  const bind = (pdu) => {
    if (pdu.password !== password) {
      emit('bind_refused', { system_id: pdu.system_id });
      session.send(pdu.response({ command_status: smpp.ESME_RINVPASWD }));
      session.close();
      return;
    }
    session.send(pdu.response());
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
    const sm = pdu.short_message;
    const raw = Buffer.isBuffer(sm) ? sm : Buffer.from((sm && sm.message) || '', 'utf8');
    emit('submit', {
      dest: pdu.destination_addr, source: pdu.source_addr, esm_class: pdu.esm_class,
      data_coding: pdu.data_coding, short_message: raw.toString('hex'),
    });
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
