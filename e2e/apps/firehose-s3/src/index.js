// Firehose's transformation function: JSON records come back with their string values
// upper-cased, a line each; `"drop": true` ones are Dropped; what is not JSON is ProcessingFailed.
console.log('Loading function');

exports.handler = async (event) => {
  const output = event.records.map((record) => {
    const text = Buffer.from(record.data, 'base64').toString('utf8');
    let item;
    try {
      item = JSON.parse(text);
    } catch {
      return { recordId: record.recordId, result: 'ProcessingFailed', data: record.data };
    }
    if (item.drop) return { recordId: record.recordId, result: 'Dropped', data: record.data };
    const upper = Object.fromEntries(Object.entries(item).map(([k, v]) => [k, typeof v === 'string' ? v.toUpperCase() : v]));
    return { recordId: record.recordId, result: 'Ok', data: Buffer.from(`${JSON.stringify(upper)}\n`).toString('base64') };
  });
  console.log(`Processing completed.  Successful records ${output.filter((r) => r.result === 'Ok').length}.`);
  return { records: output };
};
