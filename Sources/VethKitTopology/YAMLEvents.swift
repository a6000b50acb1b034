import CYAML

/// One event of libyaml's parser, decoded into Swift values, with the 1-based line and column
/// where it starts (libyaml counts columns in characters).
struct YAMLEvent {
    enum Kind {
        case streamStart, streamEnd, documentStart, documentEnd
        case scalar(String, plain: Bool, anchor: String?)
        case alias(String)
        case sequenceStart(anchor: String?), sequenceEnd
        case mappingStart(anchor: String?), mappingEnd
    }
    var kind: Kind
    var line: Int
    var column: Int
}

/// A problem libyaml reports (or the loader finds) at a line and column: the text is what the
/// topology error shows after `file:line:column: `.
struct YAMLProblem: Error, Equatable {
    var line: Int
    var column: Int
    var message: String
}

/// libyaml's event parser over a UTF-8 buffer (Debian's libyaml through the CYAML module).
enum YAMLEvents {
    /// Calls `body` with each event in order until it returns false or the stream ends. Throws
    /// ``YAMLProblem`` ("YAML syntax: …" with libyaml's problem and context) at the first event
    /// libyaml cannot produce, or what `body` throws.
    static func read(_ bytes: UnsafeBufferPointer<UInt8>, _ body: (YAMLEvent) throws -> Bool) throws {
        let parser = UnsafeMutablePointer<yaml_parser_t>.allocate(capacity: 1)
        defer { parser.deallocate() }
        guard yaml_parser_initialize(parser) == 1 else {
            throw YAMLProblem(line: 1, column: 1, message: "YAML: libyaml could not allocate its parser")
        }
        defer { yaml_parser_delete(parser) }
        // No yaml_parser_set_encoding: libyaml then finds the encoding itself and skips a leading
        // byte-order mark (with UTF-8 forced it reads the mark as a character of line 1). The bytes
        // are valid UTF-8 here, so a UTF-16 mark cannot occur.
        // libyaml reads nothing from an empty buffer, but wants a pointer.
        let empty: [UInt8] = [0]
        try empty.withUnsafeBufferPointer { dummy in
            yaml_parser_set_input_string(parser, bytes.baseAddress ?? dummy.baseAddress!, bytes.count)
            var event = yaml_event_t()
            while true {
                guard yaml_parser_parse(parser, &event) == 1 else { throw problem(parser.pointee, bytes) }
                let decoded = decode(&event)
                yaml_event_delete(&event)
                guard try body(decoded) else { return }
                if case .streamEnd = decoded.kind { return }
            }
        }
    }

    static func decode(_ e: inout yaml_event_t) -> YAMLEvent {
        func text(_ p: UnsafeMutablePointer<yaml_char_t>?) -> String? { p.map { String(cString: $0) } }
        let kind: YAMLEvent.Kind
        switch e.type {
        case YAML_STREAM_START_EVENT: kind = .streamStart
        case YAML_DOCUMENT_START_EVENT: kind = .documentStart
        case YAML_DOCUMENT_END_EVENT: kind = .documentEnd
        case YAML_SCALAR_EVENT:
            let s = e.data.scalar
            // A scalar may hold NUL ("\0"): its length, not a C string.
            let value = String(decoding: UnsafeBufferPointer(start: s.value, count: s.length), as: UTF8.self)
            kind = .scalar(value, plain: s.style == YAML_PLAIN_SCALAR_STYLE, anchor: text(s.anchor))
        case YAML_ALIAS_EVENT: kind = .alias(text(e.data.alias.anchor) ?? "")
        case YAML_SEQUENCE_START_EVENT: kind = .sequenceStart(anchor: text(e.data.sequence_start.anchor))
        case YAML_SEQUENCE_END_EVENT: kind = .sequenceEnd
        case YAML_MAPPING_START_EVENT: kind = .mappingStart(anchor: text(e.data.mapping_start.anchor))
        case YAML_MAPPING_END_EVENT: kind = .mappingEnd
        default: kind = .streamEnd
        }
        return YAMLEvent(kind: kind, line: Int(e.start_mark.line) + 1, column: Int(e.start_mark.column) + 1)
    }

    /// libyaml's error as one line: `YAML syntax: PROBLEM (CONTEXT at LINE:COLUMN)` at the
    /// problem's position (the wording the Yams-based loader used).
    static func problem(_ p: yaml_parser_t, _ bytes: UnsafeBufferPointer<UInt8>) -> YAMLProblem {
        let problem = p.problem.map { String(cString: $0) } ?? "unknown error"
        switch p.error {
        case YAML_SCANNER_ERROR, YAML_PARSER_ERROR:
            var message = "YAML syntax: \(problem)"
            if let context = p.context {
                message += " (\(String(cString: context)) at \(p.context_mark.line + 1):\(p.context_mark.column + 1))"
            }
            return YAMLProblem(line: Int(p.problem_mark.line) + 1, column: Int(p.problem_mark.column) + 1, message: message)
        case YAML_READER_ERROR:
            // Found before libyaml reads it by ``YAMLText/firstForbiddenCharacter(_:)``; kept for safety.
            let (line, column) = YAMLText.position(ofByte: Int(p.problem_offset), in: bytes)
            return YAMLProblem(line: line, column: column, message: "YAML syntax: \(problem)")
        default:
            return YAMLProblem(line: 1, column: 1, message: "YAML: libyaml ran out of memory")
        }
    }
}
