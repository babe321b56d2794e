namespace rb::cpu::RB_ISA {}
