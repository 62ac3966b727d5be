// The parts of node-smpp 0.5.1 (`smpp` on npm, no published types) that Salvo uses.
declare module "smpp" {
  import type { EventEmitter } from "node:events";
  import type { Server as NetServer, Socket } from "node:net";
  import type { ConnectionOptions, TlsOptions } from "node:tls";

  namespace smpp {
    /** A decoded text field: node-smpp decodes `short_message` and `message_payload` by `data_coding`. */
    interface DecodedMessage {
      message: string | Buffer;
      udh?: Buffer[];
    }

    /** A PDU's fields, as node-smpp names them (SMPP 3.4 field and TLV names). */
    interface PduFields {
      command_status?: number;
      sequence_number?: number;
      system_id?: string;
      password?: string;
      system_type?: string;
      interface_version?: number;
      service_type?: string;
      source_addr_ton?: number;
      source_addr_npi?: number;
      source_addr?: string;
      dest_addr_ton?: number;
      dest_addr_npi?: number;
      destination_addr?: string;
      esm_class?: number;
      registered_delivery?: number;
      /** Sent as SMPP writes it (`000002000000000R`); received, node-smpp decodes it to a Date. */
      validity_period?: string | Date;
      data_coding?: number;
      short_message?: Buffer | string | DecodedMessage;
      message_payload?: Buffer | string | DecodedMessage;
      message_id?: string;
      receipted_message_id?: string;
      message_state?: number;
      sar_msg_ref_num?: number;
      sar_total_segments?: number;
      sar_segment_seqnum?: number;
    }

    interface PDU extends PduFields {
      command: string;
      command_id: number;
      command_status: number;
      sequence_number: number;
      isResponse(): boolean;
      response(options?: PduFields): PDU;
    }

    type ResponseCallback = (pdu: PDU) => void;

    class Session extends EventEmitter {
      socket: Socket;
      send(pdu: PDU, responseCallback?: ResponseCallback): boolean;
      bind_transceiver(options: PduFields, callback?: ResponseCallback): boolean;
      bind_transmitter(options: PduFields, callback?: ResponseCallback): boolean;
      bind_receiver(options: PduFields, callback?: ResponseCallback): boolean;
      submit_sm(options: PduFields, callback?: ResponseCallback): boolean;
      deliver_sm(options: PduFields, callback?: ResponseCallback): boolean;
      enquire_link(options: PduFields, callback?: ResponseCallback): boolean;
      unbind(options: PduFields, callback?: ResponseCallback): boolean;
      close(callback?: () => void): void;
      destroy(callback?: () => void): void;
    }

    interface Server extends NetServer {
      sessions: Session[];
    }

    /** With `tls`, the options go to `tls.connect` as they are (ca, servername, rejectUnauthorized…). */
    function connect(options: { host: string; port: number; tls?: boolean } & ConnectionOptions): Session;
    /** With `key` and `cert`, a TLS server (`tls.createServer` options). */
    function createServer(options: TlsOptions, listener: (session: Session) => void): Server;

    const PDU: new (command: string, options?: PduFields) => PDU;
    const gsmCoder: { encode(text: string, table: number): Buffer };
  }
  export = smpp;
}
