// Debian's libyaml (libyaml-dev: /usr/include/yaml.h, libyaml.a and libyaml.so), used by the
// topology loader (Sources/VethKitTopology/YAMLLoader.swift) through its event API.
#include <yaml.h>
