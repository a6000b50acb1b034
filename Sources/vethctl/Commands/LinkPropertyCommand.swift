import ArgumentParser
import VethKit

extension LinkCommand {
    /// `link property add|del NAME --altname ALT…`: a link's alternative names, as `ip link property`.
    struct Property: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "property", abstract: "A link's alternative names (as ip link property).",
            discussion: HelpExamples.discussion("link property"), subcommands: [Add.self, Del.self])

        protocol Edit: VethCommand {
            static var verb: String { get }
            var ns: NamespaceOption { get }
            var name: String { get }
            var altname: [String] { get }
            static func apply(_ alt: String, _ link: LinkReference, _ h: NetHandle) throws
        }

        struct Add: Edit {
            static let configuration = CommandConfiguration(commandName: "add", abstract: "Give a link alternative names.",
                                                            discussion: HelpExamples.discussion("link property add"))
            static let verb = "add"
            @OptionGroup var ns: NamespaceOption
            @Argument(help: "The link.", completion: Completions.interfaces) var name: String
            @Option(help: "An alternative name (1-127 bytes; repeat for more).") var altname: [String] = []
            static func apply(_ alt: String, _ link: LinkReference, _ h: NetHandle) throws { try h.addAlternativeName(alt, to: link) }
        }

        struct Del: Edit {
            static let configuration = CommandConfiguration(commandName: "del", abstract: "Take alternative names from a link.",
                                                            discussion: HelpExamples.discussion("link property del"), aliases: ["delete"])
            static let verb = "del"
            @OptionGroup var ns: NamespaceOption
            @Argument(help: "The link.", completion: Completions.interfaces) var name: String
            @Option(help: "An alternative name to remove (repeat for more).") var altname: [String] = []
            static func apply(_ alt: String, _ link: LinkReference, _ h: NetHandle) throws { try h.deleteAlternativeName(alt, from: link) }
        }
    }
}

extension LinkCommand.Property.Edit {
    func check() throws {
        try ns.check()
        try InterfaceName.validate(name)
        if altname.isEmpty { throw UsageError("link property \(Self.verb): give --altname NAME") }
        for a in altname { try NetHandle.validateAlternativeName(a) }
    }

    func execute(_ context: Context) throws {
        for alt in altname {
            try step("link property \(Self.verb) \(name) altname \(alt)") {
                try Self.apply(alt, .name(try InterfaceName(name)), try context.handle(ns.name))
            }
        }
    }
}
