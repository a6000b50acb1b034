import VethKit
