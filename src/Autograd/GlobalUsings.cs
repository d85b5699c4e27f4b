global using System.Numerics;
global using System.Numerics.Tensors;
global using Autograd.Tensors;
