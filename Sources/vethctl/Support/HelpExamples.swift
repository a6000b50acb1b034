/// The examples every command's `--help` (and its man page) ends with, by command path: the
/// commands a user types first, each as it is typed.
enum HelpExamples {
    static let table: [String: [String]] = [
        "vethctl": ["vethctl link add veth0 --peer veth1 --up", "vethctl -n t1 addr show", "vethctl up examples/seed.yaml",
                    "vethctl --batch examples/seed.batch"],
        "netns": ["vethctl netns", "vethctl netns add t1", "vethctl netns exec t1 -- ip -br addr"],
        "netns add": ["vethctl netns add t1"],
        "netns del": ["vethctl netns del t1"],
        "netns list": ["vethctl netns list", "vethctl netns list --all --json"],
        "netns exec": ["vethctl netns exec t1 -- ping -c 1 10.0.0.1", "vethctl netns exec t1 -- ip -j link show"],
        "link": ["vethctl link", "vethctl link add veth0 --peer veth1 --peer-netns t1 --up", "vethctl link set veth0 --mtu 9000"],
        "link add": ["vethctl link add veth0 --peer veth1 --up", "vethctl link add br0 --type bridge --up",
                     "vethctl link add v10 --type vlan --link eth0 --id 10", "vethctl -n t1 link add vx0 --type vxlan --id 42 --remote 10.0.0.2 --dev eth0"],
        "link set": ["vethctl link set veth0 --up --master br0", "vethctl link set veth1 --netns t1", "vethctl link set veth0 --name uplink --mtu 1400"],
        "link del": ["vethctl link del veth0", "vethctl link del --group 42"],
        "link show": ["vethctl link show", "vethctl -n t1 link show eth0 -d --json", "vethctl link show -s -s"],
        "link stats": ["vethctl link stats", "vethctl link stats veth0 --json"],
        "link impair": ["vethctl link impair veth0 --rate 10mbit", "vethctl link impair veth0 --delay 20ms --jitter 5ms --loss 1%",
                        "vethctl link impair veth0 --clear"],
        "addr": ["vethctl addr", "vethctl addr add 10.0.0.1/24 --dev veth0"],
        "addr add": ["vethctl addr add 10.0.0.1/24 --dev veth0", "vethctl -n t1 addr add fd00::2/64 --dev veth1 --nodad"],
        "addr del": ["vethctl addr del 10.0.0.1/24 --dev veth0"],
        "addr show": ["vethctl addr show", "vethctl -n t1 addr show --dev veth1 --json"],
        "route": ["vethctl route", "vethctl -n t1 route add default --via 10.0.0.1"],
        "route add": ["vethctl -n t1 route add default --via 10.0.0.1", "vethctl route add blackhole 10.9.0.0/16",
                      "vethctl route add 10.8.0.0/16 --nexthop 'via 10.0.0.2' --nexthop 'via 10.0.1.2'",
                      "vethctl route add 10.7.0.0/16 --dev veth0 --table 100 --src 10.0.0.1",
                      "vethctl route add 10.6.0.0/16 --via 10.0.0.2 --mtu 1400 --lock mtu --initcwnd 10 --rtt 20ms"],
        "route replace": ["vethctl route replace 10.8.0.0/16 --via 10.0.0.3"],
        "route del": ["vethctl route del 10.8.0.0/16", "vethctl route del default --protocol static"],
        "route show": ["vethctl route show", "vethctl route show --table all -4 --json", "vethctl route show --type blackhole"],
        "route get": ["vethctl route get 10.0.0.9", "vethctl -n t1 route get 10.9.0.1 --from 10.0.0.2 --ipproto tcp --dport 443 --json"],
        "link property": ["vethctl link property add veth0 --altname uplink-to-the-lab-router"],
        "link property add": ["vethctl link property add veth0 --altname uplink-to-the-lab-router"],
        "link property del": ["vethctl link property del veth0 --altname uplink-to-the-lab-router"],
        "neigh": ["vethctl neigh", "vethctl -n t1 neigh add 10.0.0.9 --dev veth1 --lladdr 02:00:00:00:00:09"],
        "neigh show": ["vethctl neigh show", "vethctl -n t1 neigh show --dev veth1 --nud all -s --json", "vethctl neigh show --proxy"],
        "neigh add": ["vethctl neigh add 10.0.0.9 --dev veth0 --lladdr 02:00:00:00:00:09", "vethctl neigh add 10.0.0.10 --dev veth0 --proxy"],
        "neigh replace": ["vethctl neigh replace 10.0.0.9 --dev veth0 --lladdr 02:00:00:00:00:0a --nud reachable"],
        "neigh del": ["vethctl neigh del 10.0.0.9 --dev veth0"],
        "peers": ["vethctl peers", "vethctl peers --all --json"],
        "who": ["vethctl who veth1a2b3c4", "vethctl who 7 --json"],
        "monitor": ["vethctl monitor", "vethctl -n t1 monitor --json --timestamp"],
        "up": ["vethctl up examples/seed.yaml", "vethctl gen star 8 > star.yaml && vethctl up star.yaml --quiet"],
        "plan": ["vethctl plan examples/routers.yaml"],
        "down": ["vethctl down seed", "vethctl down examples/seed.yaml"],
        "show": ["vethctl show seed", "vethctl show examples/seed.yaml --json"],
        "check": ["vethctl check examples/seed.yaml", "vethctl check examples/routers.yaml --count 20 --json"],
        "cut": ["vethctl cut lab r1:eth1", "vethctl cut lab h2"],
        "restore": ["vethctl restore lab r1:eth1"],
        "exec": ["vethctl exec seed t1 -- ip -br addr", "vethctl exec lab h1 -- ping -c 3 10.0.2.2"],
        "graph": ["vethctl graph examples/routers.yaml", "vethctl graph examples/star.yaml --format png > star.png",
                  "vethctl graph lab.yaml --format mermaid"],
        "list": ["vethctl list", "vethctl list --json"],
        "gen": ["vethctl gen star 8", "vethctl gen chain 5 --name line > line.yaml"],
        "orphans": ["vethctl orphans", "vethctl orphans --clean --yes"],
        "qdisc": ["vethctl qdisc", "vethctl -n t1 qdisc show --dev eth0 --json"],
        "qdisc show": ["vethctl qdisc show", "vethctl qdisc show --dev veth0 --json"],
        "perf": ["vethctl perf examples/seed.yaml host t1", "vethctl perf lab.yaml h1 h2 --udp --bitrate 100M"],
    ]

    /// `text` (a command's own discussion, maybe none) followed by its examples.
    static func discussion(_ path: String, _ text: String = "") -> String {
        let examples = table[path] ?? []
        guard !examples.isEmpty else { return text }
        let block = "Examples:\n" + examples.map { "  " + $0 }.joined(separator: "\n")
        return text.isEmpty ? block : text + "\n\n" + block
    }
}
