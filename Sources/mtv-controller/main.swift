import MTVController

print("mtv-controller \(controllerVersion)")
