import VethKit

/// Opens CNI_NETNS and makes sure it is a namespace file (nsfs) other than the plugin's own,
/// before anything is created (code 3 when it cannot be opened, 4 when it is not a network
/// namespace or is the plugin's own: the "container" side would land on the host).
func openContainerNamespace(_ path: String) throws -> NetworkNamespace {
    let ns: NetworkNamespace
    do { ns = try NetworkNamespace.open(path: path) } catch {
        throw CNIError(.unknownContainer, "cannot open CNI_NETNS \(path.cniEscaped)", details: "\(error)")
    }
    guard ns.isNetworkNamespace else {
        throw CNIError(.invalidEnvironment, "invalid CNI_NETNS \(path.cniEscaped): not a network namespace file")
    }
    let same: Bool
    do { same = try ns.isSame(as: NetworkNamespace.current()) } catch {
        throw CNIError(.ioFailure, "cannot stat network namespaces", details: "\(error)")
    }
    if same {
        throw CNIError(.invalidEnvironment, "invalid CNI_NETNS \(path.cniEscaped): it is the plugin's own network namespace",
                       details: "a container needs a network namespace of its own")
    }
    return ns
}
