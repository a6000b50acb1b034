print("vethkit-cni")
