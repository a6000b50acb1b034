print("vethctl")
