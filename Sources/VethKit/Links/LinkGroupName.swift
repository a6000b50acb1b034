/// A link group (IFLA_GROUP) as iproute2 prints it, in text and in `ip -j`'s `group` key: a
/// string, `default` for 0 (the only name of /etc/iproute2/group as shipped), the number for the rest.
public enum LinkGroupName {
    /// `default` for 0, otherwise the decimal number (`1442840576`).
    public static func text(_ group: UInt32) -> String { group == 0 ? "default" : String(group) }
}
