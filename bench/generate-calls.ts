/**
 * Writes a calls-records CSV like Dialpad's (55 columns + one unknown, BOM, CRLF, quoted commas and doubled quotes)
 * with `rows` rows, streaming, for the load benchmark.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';

export const CALL_COLUMNS = 'date_started,call_id,master_call_id,entry_point_call_id,target_kind,target_id,target_type,name,email,category,direction,categories,is_internal,external_number,internal_number,date_queued,date_rang,date_first_rang,date_connected,date_callback_connected,date_callback_ended,date_ended,date_anonymized,time_to_answer,talk_duration,voicemail,callback_type,entry_point_target_id,entry_point_target_kind,proxy_target_id,was_recorded,recording_url,transferred_to,transferred_to_contact_id,transferred_from_target_id,office_id,company_id,device,timezone,availability,salesforce_activity_id,time_in_system,ringing_duration,ringing_occurrences,hold_duration,hold_occurrences,queued_duration,queued_occurrences,wrapup_duration,participant_type,percent_ai_talk_time,percent_ai_listen_time,percent_ai_silent_time,callback_id,campaign_id,mos_score'.split(',');

const pad = (n: number) => String(n).padStart(2, '0');

/** Rows are dated on 2026-11-01 .. 2026-11-20 (local time). */
export async function generateCallsCsv(file: string, rows: number): Promise<number> {
  const out = createWriteStream(file);
  let bytes = 0;
  const write = async (s: string) => {
    bytes += Buffer.byteLength(s);
    if (!out.write(s)) await once(out, 'drain');
  };
  await write('\uFEFF' + CALL_COLUMNS.join(',') + '\r\n');
  let buf: string[] = [];
  for (let i = 0; i < rows; i++) {
    const id = String(5_000_000_000_000_000 + i);
    const day = 1 + (i % 20);
    const ts = `2026-11-${pad(day)} ${pad(i % 24)}:${pad(i % 60)}:${pad((i * 7) % 60)}`;
    const agent = i % 100;
    const name = agent % 10 === 0 ? `"O""Brien, Pat ${agent}"` : `"Agent, ${agent}"`;
    const row = [
      ts, id, id, id, 'CallCenter', '6422934115149452', 'callcenter', name, `agent${agent}@example.com`, 'incoming', 'inbound',
      '"answered,inbound"', 'false', '+14155551000', '+14155552000', ts, ts, ts, ts, '', '', ts, '', '0.03', '4.25', 'false', '',
      '6422934115149452', 'CallCenter', '', 'true', '', '', '', '', '6422934115149452', '4508591728425653', 'desktop', 'America/New_York',
      'available', '', '5.1', '0.2', '1', '0.5', '1', '0.1', '1', '0.75', 'agent', '0.4', '0.5', '0.1', '', '', '4.2',
    ];
    buf.push(row.join(','));
    if (buf.length === 2000) {
      await write(buf.join('\r\n') + '\r\n');
      buf = [];
    }
  }
  if (buf.length > 0) await write(buf.join('\r\n') + '\r\n');
  out.end();
  await once(out, 'close');
  return bytes;
}
